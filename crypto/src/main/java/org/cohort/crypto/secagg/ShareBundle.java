package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/**
 * Site → coordinator: one encrypted share per neighbour. Size ≈ 30 + k·(110 + id lengths) bytes.
 */
public record ShareBundle(
    String federationId, long round, ParticipantId sender, List<EncryptedShare> shares)
    implements SecAggMessage {
  public ShareBundle {
    shares = List.copyOf(shares);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(MessageType.SHARE_BUNDLE, 64 + 140 * shares.size())
            .string(federationId)
            .i64(round)
            .id(sender)
            .i32(shares.size());
    shares.forEach(share -> share.writeTo(out));
    return out.toByteArray();
  }

  public static ShareBundle decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.SHARE_BUNDLE);
    String federationId = in.string(1024);
    long round = in.i64();
    ParticipantId sender = in.id();
    int count = in.count(RoundSetup.MAX_SITES);
    List<EncryptedShare> shares = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      shares.add(EncryptedShare.readFrom(in));
    }
    in.expectEnd();
    return new ShareBundle(federationId, round, sender, shares);
  }
}
