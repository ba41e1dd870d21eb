package org.cohort.site.round;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.round.RoundPrivacy;

/**
 * What differential privacy a site requires of a training task (site.yaml {@code policy.privacy}).
 * The site recomputes the job's guarantee from the task's public settings with its own accountant;
 * nothing the coordinator computed is taken on trust. Absent fields impose nothing: every mode
 * (including off) is served, at any noise, clip and ε.
 *
 * @param modes the modes served; {@code off} admits tasks without differential privacy
 * @param minNoiseMultiplier the least noise multiplier z accepted
 * @param maxEpsilon the largest ε a job may spend on this site's records over its planned rounds,
 *     at the job's δ
 * @param minClip the smallest per-record clip norm C accepted
 * @param maxClip the largest per-record clip norm C accepted
 * @param maxDelta the largest δ a job may use; the coordinator picks δ, and at a large δ any ε
 *     limit stops binding. Absent: {@link #DEFAULT_MAX_DELTA} as soon as any other limit is set
 */
public record PrivacyPolicy(
    List<Mode> modes,
    Double minNoiseMultiplier,
    Double maxEpsilon,
    Double minClip,
    Double maxClip,
    Double maxDelta) {

  /** The δ limit that applies when a policy sets limits but no {@code max_delta}. */
  public static final double DEFAULT_MAX_DELTA = 1e-5;

  /** A policy without a δ limit of its own. */
  public PrivacyPolicy(
      List<Mode> modes,
      Double minNoiseMultiplier,
      Double maxEpsilon,
      Double minClip,
      Double maxClip) {
    this(modes, minNoiseMultiplier, maxEpsilon, minClip, maxClip, null);
  }

  /** site.yaml {@code policy.privacy.modes} entries. */
  public enum Mode {
    @JsonProperty("off")
    OFF,
    @JsonProperty("distributed")
    DISTRIBUTED,
    @JsonProperty("central")
    CENTRAL,
    @JsonProperty("local")
    LOCAL
  }

  /** Every field absent: every mode, no limits. */
  public static final PrivacyPolicy DEFAULT = new PrivacyPolicy(null, null, null, null, null, null);

  public PrivacyPolicy {
    modes = modes == null ? null : List.copyOf(modes);
  }

  /**
   * The modes served: every mode when the policy sets nothing, but no {@code off} once it sets any
   * limit (an un-noised task would bypass them all).
   */
  public List<Mode> modesOrDefault() {
    if (modes != null) {
      return modes;
    }
    return limited() ? List.of(Mode.DISTRIBUTED, Mode.CENTRAL, Mode.LOCAL) : List.of(Mode.values());
  }

  /** δ limit in force; 1 (none) for a policy that sets no limit at all. */
  public double maxDeltaOrDefault() {
    return maxDelta != null ? maxDelta : limited() ? DEFAULT_MAX_DELTA : 1;
  }

  private boolean limited() {
    return minNoiseMultiplier != null
        || maxEpsilon != null
        || minClip != null
        || maxClip != null
        || maxDelta != null;
  }

  /** The first bad field, named as in site.yaml; empty if every field is valid. */
  public Optional<String> invalidField() {
    if (modes != null && modes.isEmpty()) {
      return Optional.of("policy.privacy.modes must list at least one mode");
    }
    if (minNoiseMultiplier != null && !(minNoiseMultiplier >= 0)) {
      return Optional.of("policy.privacy.min_noise_multiplier must be >= 0");
    }
    if (maxEpsilon != null && !(maxEpsilon > 0)) {
      return Optional.of("policy.privacy.max_epsilon must be > 0");
    }
    if (maxDelta != null && !(maxDelta > 0 && maxDelta < 1)) {
      return Optional.of("policy.privacy.max_delta must be in (0, 1)");
    }
    if (minClip != null && !(minClip > 0)) {
      return Optional.of("policy.privacy.min_clip must be > 0");
    }
    if (maxClip != null && !(maxClip > 0)) {
      return Optional.of("policy.privacy.max_clip must be > 0");
    }
    if (minClip != null && maxClip != null && minClip > maxClip) {
      return Optional.of("policy.privacy.min_clip must not exceed policy.privacy.max_clip");
    }
    return Optional.empty();
  }

  /**
   * The first rule a training task's privacy breaks, if any.
   *
   * @param privacy the task's privacy, empty for a task without it
   * @param plannedRounds the job's rounds, over which {@code maxEpsilon} is checked
   * @param delta the job's δ
   */
  Optional<Refusal> check(Optional<RoundPrivacy> privacy, long plannedRounds, double delta) {
    Mode mode =
        privacy
            .map(
                p ->
                    switch (p.mode()) {
                      case DISTRIBUTED -> Mode.DISTRIBUTED;
                      case CENTRAL -> Mode.CENTRAL;
                      case LOCAL -> Mode.LOCAL;
                    })
            .orElse(Mode.OFF);
    if (!modesOrDefault().contains(mode)) {
      return refuse(
          Refusal.Rule.PRIVACY_MODE_REFUSED,
          "the task's privacy mode is "
              + mode.name().toLowerCase(java.util.Locale.ROOT)
              + ", this site's policy.privacy.modes allows "
              + modesOrDefault().stream()
                  .map(m -> m.name().toLowerCase(java.util.Locale.ROOT))
                  .toList());
    }
    if (privacy.isEmpty()) {
      return Optional.empty();
    }
    RoundPrivacy p = privacy.get();
    if (!(delta <= maxDeltaOrDefault())) {
      return refuse(
          Refusal.Rule.DELTA_TOO_HIGH,
          "the job's delta is "
              + delta
              + ", this site's policy.privacy.max_delta is "
              + maxDeltaOrDefault());
    }
    if (minNoiseMultiplier != null && p.noiseMultiplier() < minNoiseMultiplier) {
      return refuse(
          Refusal.Rule.NOISE_TOO_LOW,
          "the task's noise multiplier is "
              + p.noiseMultiplier()
              + ", this site's policy.privacy.min_noise_multiplier is "
              + minNoiseMultiplier);
    }
    if ((minClip != null && p.clipNorm() < minClip)
        || (maxClip != null && p.clipNorm() > maxClip)) {
      return refuse(
          Refusal.Rule.CLIP_OUT_OF_RANGE,
          "the task's clip norm is "
              + p.clipNorm()
              + ", outside this site's policy.privacy.min_clip..max_clip");
    }
    if (maxEpsilon != null) {
      PrivacySpent job = p.spent(plannedRounds, delta);
      if (!(job.epsilon() <= maxEpsilon)) {
        return refuse(
            Refusal.Rule.EPSILON_TOO_HIGH,
            String.format(
                java.util.Locale.ROOT,
                "the job's %d planned rounds spend epsilon %.4g at delta %.3g on this site's"
                    + " records, this site's policy.privacy.max_epsilon is %s",
                plannedRounds,
                job.epsilon(),
                delta,
                maxEpsilon));
      }
    }
    return Optional.empty();
  }

  /**
   * Whether this site may release one more round: {@code afterRound} is what its records would have
   * spent in the federation with it (everything already released composed with this round). Guards
   * against a coordinator that reruns or extends a job beyond what was approved; kept in memory, so
   * not across restarts.
   */
  Optional<Refusal> checkSpending(PrivacySpent afterRound) {
    if (maxEpsilon == null || afterRound.epsilon() <= maxEpsilon) {
      return Optional.empty();
    }
    return refuse(
        Refusal.Rule.BUDGET_EXHAUSTED,
        String.format(
            java.util.Locale.ROOT,
            "one more round would bring this site's records to epsilon %.4g at delta %.3g in this"
                + " federation, above policy.privacy.max_epsilon %s",
            afterRound.epsilon(),
            afterRound.delta(),
            maxEpsilon));
  }

  private static Optional<Refusal> refuse(Refusal.Rule rule, String detail) {
    return Optional.of(new Refusal(rule, detail));
  }
}
