package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/**
 * Coordinator → one survivor that signed the survivor set: which of its neighbours survived ({@code
 * survivors}, U3 ∩ neighbours: reveal their self-mask shares) and which shared keys but sent no
 * masked input ({@code dropped}: reveal their mask-key shares), with the signatures its neighbours
 * gave over the survivor set. The site answers only if the lists are exactly what the set it signed
 * implies and at least t of its neighbours signed that same set.
 */
public record UnmaskRequest(
    String federationId,
    long round,
    ParticipantId recipient,
    List<ParticipantId> survivors,
    List<ParticipantId> dropped,
    List<SurvivorSignature> signatures)
    implements SecAggMessage {
  public UnmaskRequest {
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
    signatures = List.copyOf(signatures);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(
                MessageType.UNMASK_REQUEST,
                64 + 24 * (survivors.size() + dropped.size()) + 128 * signatures.size())
            .string(federationId)
            .i64(round)
            .id(recipient)
            .i32(survivors.size());
    survivors.forEach(out::id);
    out.i32(dropped.size());
    dropped.forEach(out::id);
    out.i32(signatures.size());
    signatures.forEach(signature -> signature.writeBody(out));
    return out.toByteArray();
  }

  public static UnmaskRequest decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.UNMASK_REQUEST);
    String federationId = in.string(1024);
    long round = in.i64();
    ParticipantId recipient = in.id();
    List<ParticipantId> survivors = readIds(in);
    List<ParticipantId> dropped = readIds(in);
    int count = in.count(RoundSetup.MAX_SITES);
    List<SurvivorSignature> signatures = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      signatures.add(SurvivorSignature.readBody(in));
    }
    in.expectEnd();
    return new UnmaskRequest(federationId, round, recipient, survivors, dropped, signatures);
  }

  private static List<ParticipantId> readIds(CanonicalReader in) {
    int count = in.count(RoundSetup.MAX_SITES);
    List<ParticipantId> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(in.id());
    }
    return ids;
  }
}
