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
 * For which survivor set this site revealed shares on a base model, per federation (issue 10,
 * finding 7b). Without DP noise, two sums over the same base model whose participant sets differ by
 * one site reveal that site's update by subtraction; so the site contributes to at most one
 * participant set per (federation, base model digest). Bounded (the oldest entries are forgotten
 * first) and in memory only: a restarted site forgets. Thread-safe (one ledger is shared by the
 * agent's successive connections).
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
   * Refuses round {@code round} if this site already revealed shares in another round on {@code
   * base} whose survivor set was not {@code participants}.
   */
  synchronized Optional<Refusal> check(
      BaseModel base, long round, List<ParticipantId> participants) {
    Contribution earlier = contributions.get(base);
    if (earlier == null
        || earlier.round() == round
        || earlier.participants().equals(Set.copyOf(participants))) {
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
