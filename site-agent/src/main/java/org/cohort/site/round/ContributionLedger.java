package org.cohort.site.round;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cohort.crypto.secagg.ParticipantId;

/**
 * Which participant set this site's secure contribution on a base model went into, per federation
 * (issue 10, finding 7b). Without DP noise, two sums over the same base model whose participant
 * sets differ by one site reveal that site's update by subtraction; so the site contributes to at
 * most one participant set per (federation, base model digest). Bounded (the oldest entries are
 * forgotten first) and in memory only: a restarted site forgets. Thread-safe (one ledger is shared
 * by the agent's successive connections).
 */
public final class ContributionLedger {

  /**
   * SHA-256 of a global model's float32 values, little-endian: the base model a round trains on.
   */
  record BaseModel(String federationId, String digest) {
    static BaseModel of(String federationId, float[] global) {
      ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES * global.length);
      bytes.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(global);
      try {
        return new BaseModel(
            federationId,
            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array())));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from the JDK", e);
      }
    }
  }

  private record Contribution(long round, Set<ParticipantId> participants) {}

  static final int DEFAULT_CAPACITY = 1024;

  private final Map<BaseModel, Contribution> contributions;

  public ContributionLedger() {
    this(DEFAULT_CAPACITY);
  }

  ContributionLedger(int capacity) {
    this.contributions =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<BaseModel, Contribution> eldest) {
            return size() > capacity;
          }
        };
  }

  /**
   * Records that round {@code round} may reveal a sum over {@code participants} containing this
   * site's update on {@code base}; refuses if an earlier round on the same base model went to a
   * different set. A later call for the same round narrows the set (e.g. from the advertisers to
   * the survivors).
   */
  synchronized Optional<Refusal> contribute(
      BaseModel base, long round, List<ParticipantId> participants) {
    Set<ParticipantId> set = Set.copyOf(participants);
    Contribution earlier = contributions.get(base);
    if (earlier != null && earlier.round() != round && !earlier.participants().equals(set)) {
      return Optional.of(
          new Refusal(
              Refusal.Rule.BASE_MODEL_REUSED,
              "round "
                  + round
                  + " offers the base model of round "
                  + earlier.round()
                  + " with a different participant set; without DP noise the two sums would"
                  + " reveal one site's update"));
    }
    if (earlier == null || earlier.round() == round) {
      contributions.put(base, new Contribution(round, set));
    }
    return Optional.empty();
  }
}
