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
 * For which survivor set this site revealed shares on a base model (issue 10, finding 7b). Without
 * DP noise, two sums over the same base model whose participant sets differ by one site reveal that
 * site's update by subtraction; so the site contributes to at most one participant set per base
 * model digest, whatever round number or federation id the coordinator announces. Bounded (the
 * oldest entries are forgotten first) and in memory only: a restarted site forgets. Thread-safe
 * (one ledger is shared by the agent's successive connections).
 */
public final class ContributionLedger {

  /**
   * SHA-256 of a global model's float32 values, little-endian: the base model a round trains on.
   * Not keyed by federation: the federation id is the coordinator's word, and a new one must not
   * buy a fresh ledger.
   */
  record BaseModel(String digest) {
    private static final int BLOCK_FLOATS = 16 * 1024;

    /** Hashed in blocks, so no copy of the whole model is made. */
    static BaseModel of(float[] global) {
      MessageDigest sha256;
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from the JDK", e);
      }
      ByteBuffer block = ByteBuffer.allocate(Float.BYTES * BLOCK_FLOATS);
      block.order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < global.length; start += BLOCK_FLOATS) {
        int count = Math.min(BLOCK_FLOATS, global.length - start);
        block.clear();
        block.asFloatBuffer().put(global, start, count);
        sha256.update(block.array(), 0, Float.BYTES * count);
      }
      return new BaseModel(HexFormat.of().formatHex(sha256.digest()));
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
   * Refuses round {@code round} if this site already revealed shares on {@code base} for a survivor
   * set other than {@code participants}, in any round (a coordinator may reuse a round number).
   */
  synchronized Optional<Refusal> check(
      BaseModel base, long round, List<ParticipantId> participants) {
    Contribution earlier = contributions.get(base);
    if (earlier == null || earlier.participants().equals(Set.copyOf(participants))) {
      return Optional.empty();
    }
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

  /**
   * This site is about to reveal its shares for a sum over {@code survivors} on {@code base}. A sum
   * can be unmasked only with shares from t neighbours of each survivor, so recording here, where
   * the site reveals, is what stops a second sum on the same base model (see the docs), and a round
   * abandoned before anyone revealed leaves no record.
   */
  synchronized void revealed(BaseModel base, long round, List<ParticipantId> survivors) {
    contributions.putIfAbsent(base, new Contribution(round, Set.copyOf(survivors)));
  }
}
