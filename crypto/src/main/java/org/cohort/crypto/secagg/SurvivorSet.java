package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/**
 * Coordinator → every site whose masked input arrived: the set U3 of those sites, in the round's
 * participant order (the canonical order every site checks). Each survivor signs it at most once
 * per round ({@link SurvivorSignature}); a site reveals shares only for a set that at least t of
 * its neighbours signed too. Encoded size ≈ 20 + |fed| + Σ (4 + |id|) bytes.
 */
public record SurvivorSet(String federationId, long round, List<ParticipantId> survivors)
    implements SecAggMessage {
  private static final String SIGNED_LABEL = "cohort/secagg/v1/survivor-set";

  public SurvivorSet {
    survivors = List.copyOf(survivors);
  }

  /** What a survivor signs: a domain label, federation, round and the set in canonical order. */
  byte[] signedBytes() {
    CanonicalWriter out =
        SecAggKdf.context(SIGNED_LABEL, federationId, round).i32(survivors.size());
    survivors.forEach(out::id);
    return out.toByteArray();
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(MessageType.SURVIVOR_SET, 64 + 24 * survivors.size())
            .string(federationId)
            .i64(round)
            .i32(survivors.size());
    survivors.forEach(out::id);
    return out.toByteArray();
  }

  public static SurvivorSet decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.SURVIVOR_SET);
    String federationId = in.string(1024);
    long round = in.i64();
    int count = in.count(RoundSetup.MAX_SITES);
    List<ParticipantId> survivors = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      survivors.add(in.id());
    }
    in.expectEnd();
    return new SurvivorSet(federationId, round, survivors);
  }
}
