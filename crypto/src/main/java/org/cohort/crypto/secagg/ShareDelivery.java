package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/**
 * Coordinator → site: the shares its neighbours sealed for it (their senders form U2 ∩ N(site)).
 */
public record ShareDelivery(
    String federationId, long round, ParticipantId recipient, List<EncryptedShare> shares)
    implements SecAggMessage {
  public ShareDelivery {
    shares = List.copyOf(shares);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(MessageType.SHARE_DELIVERY, 64 + 140 * shares.size())
            .string(federationId)
            .i64(round)
            .id(recipient)
            .i32(shares.size());
    shares.forEach(share -> share.writeTo(out));
    return out.toByteArray();
  }

  public static ShareDelivery decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.SHARE_DELIVERY);
    String federationId = in.string(1024);
    long round = in.i64();
    ParticipantId recipient = in.id();
    int count = in.count(RoundSetup.MAX_SITES);
    List<EncryptedShare> shares = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      shares.add(EncryptedShare.readFrom(in));
    }
    in.expectEnd();
    return new ShareDelivery(federationId, round, recipient, shares);
  }
}
