package org.cohort.coordinator.privacy;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.Optional;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.UnattainablePrivacyTargetException;
import org.cohort.privacy.distributed.NoiseKind;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.privacy.noise.GaussianNoise;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.PrivacyMode;
import org.cohort.protocol.v1.PrivacyNoise;
import org.cohort.protocol.v1.PrivacySettings;
import org.cohort.protocol.v1.PrivacyUnit;

/**
 * A federation's differential privacy as the coordinator plans and applies it: the job's target (ε,
 * δ) turned into a noise multiplier before the first round, each round's settings (which every task
 * carries), and the step that turns a round's aggregate into the released update. The unit
 * protected is one patient record; each round is one federation-wide DP-SGD step (LOCAL: several
 * steps inside each site).
 *
 * <ul>
 *   <li>DISTRIBUTED: each site sends the integer encoding of Σ clip(g) plus its noise share under
 *       secure aggregation; the secure sum decodes to Σ clip(g) plus noise of standard deviation
 *       z·C (when the guaranteed shares arrive), and the step is −lr · that / B.
 *   <li>CENTRAL: each site sends Σ clip(g) / B with weight 1 (no example count leaves it); this
 *       adds N(0, (z·C/B)²) to the sum of those and the step is −lr · (sum + noise).
 *   <li>LOCAL: the sites' updates are private already and are averaged as they are.
 * </ul>
 *
 * The strategy (FedAvg, FedAdam, ...) then applies the step: post-processing.
 */
public final class FederationPrivacy {

  /**
   * The weakest round the config allows, calibrated: for DISTRIBUTED every allowed site invited
   * (the widest sum to fit in the ring) and the fewest guaranteed shares (a round of
   * sites.min_per_round), with a placeholder rotation seed.
   */
  private final RoundPrivacy planned;

  private final double delta;
  private final int plannedRounds;
  private final double learningRate;
  private final int colluders;
  private final SecureRandom random = new SecureRandom();
  private final GaussianNoise noise = GaussianNoise.create();

  private FederationPrivacy(
      RoundPrivacy planned, double delta, int plannedRounds, double learningRate, int colluders) {
    this.planned = planned;
    this.delta = delta;
    this.plannedRounds = plannedRounds;
    this.learningRate = learningRate;
    this.colluders = colluders;
  }

  /**
   * The config's privacy, calibrated for its weakest round; empty when rounds run without it.
   *
   * @throws ConfigException naming the privacy settings that cannot work
   */
  public static Optional<FederationPrivacy> of(CoordinatorConfig config) {
    if (!config.privacyEnabled()) {
      return Optional.empty();
    }
    CoordinatorConfig.Privacy p = config.privacy();
    RoundPrivacy.Mode mode =
        switch (p.mode()) {
          case "distributed" -> RoundPrivacy.Mode.DISTRIBUTED;
          case "central" -> RoundPrivacy.Mode.CENTRAL;
          default -> RoundPrivacy.Mode.LOCAL;
        };
    int rounds = config.rounds().count();
    try {
      RoundPrivacy.Distributed weakest = null;
      if (mode == RoundPrivacy.Mode.DISTRIBUTED) {
        int fewest = Math.max(3, config.sites().minPerRound());
        int guaranteed =
            config.secureAggregationSettings().plan(fewest).threshold() - p.colludersOrDefault();
        if (guaranteed < 1) {
          throw new ConfigException(
              "privacy.colluders: a round of "
                  + fewest
                  + " sites unmasks sums of as few as its threshold of inputs, so "
                  + p.colludersOrDefault()
                  + " colluders could leave no honest noise share in it");
        }
        weakest =
            new RoundPrivacy.Distributed(
                p.bitsOrDefault(),
                "skellam".equals(p.noiseOrDefault())
                    ? NoiseKind.SKELLAM
                    : NoiseKind.DISCRETE_GAUSSIAN,
                guaranteed,
                config.sites().allowed().size(),
                new byte[RandomizedHadamard.SEED_BYTES]);
      }
      RoundPrivacy planned =
          new RoundPrivacy(
              mode,
              p.clip(),
              p.noiseMultiplier() != null ? p.noiseMultiplier() : 1.0,
              p.samplingRate(),
              p.expectedBatchSize(),
              config.layout().totalElements(),
              mode == RoundPrivacy.Mode.LOCAL ? p.localStepsOrDefault() : 1,
              weakest,
              "site".equals(p.unit()) ? RoundPrivacy.Unit.SITE : RoundPrivacy.Unit.PATIENT);
      if (p.epsilon() != null) {
        planned = planned.calibrated(p.epsilon(), p.deltaOrDefault(), rounds);
      }
      // Also checks that the integer encoding works at the calibrated noise.
      planned.spent(rounds, p.deltaOrDefault());
      return Optional.of(
          new FederationPrivacy(
              planned,
              p.deltaOrDefault(),
              rounds,
              config.training().learningRate(),
              p.colludersOrDefault()));
    } catch (IllegalArgumentException | UnattainablePrivacyTargetException e) {
      throw new ConfigException("privacy: " + e.getMessage());
    }
  }

  /** The settings of the weakest round the config allows. */
  public RoundPrivacy planned() {
    return planned;
  }

  public double delta() {
    return delta;
  }

  /** What every site's records have spent after {@code rounds} of the weakest rounds. */
  public PrivacySpent spentAfter(long rounds) {
    return planned.spent(Math.max(1, rounds), delta);
  }

  /**
   * The privacy of a round of {@code participants} sites whose secure sum (if any) has threshold
   * {@code threshold}; DISTRIBUTED rounds get a fresh public rotation seed.
   *
   * @throws IllegalArgumentException if the round cannot carry the noise (too few guaranteed shares
   *     for the assumed colluders, or a sum the ring cannot hold)
   */
  public RoundPrivacy forRound(int participants, int threshold) {
    if (planned.mode() != RoundPrivacy.Mode.DISTRIBUTED) {
      return planned;
    }
    byte[] seed = new byte[RandomizedHadamard.SEED_BYTES];
    random.nextBytes(seed);
    RoundPrivacy.Distributed weakest = planned.distributed();
    RoundPrivacy round =
        planned.withDistributed(
            new RoundPrivacy.Distributed(
                weakest.bits(), weakest.noise(), threshold - colluders, participants, seed));
    round.plan();
    return round;
  }

  /** The settings a task of {@code round} carries. */
  public PrivacySettings settings(RoundPrivacy round) {
    PrivacySettings.Builder settings =
        PrivacySettings.newBuilder()
            .setMode(
                switch (round.mode()) {
                  case DISTRIBUTED -> PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
                  case CENTRAL -> PrivacyMode.PRIVACY_MODE_CENTRAL;
                  case LOCAL -> PrivacyMode.PRIVACY_MODE_LOCAL;
                })
            .setClipNorm(round.clipNorm())
            .setNoiseMultiplier(round.noiseMultiplier())
            .setSamplingRate(round.samplingRate())
            .setExpectedBatchSize(round.expectedBatchSize())
            .setPlannedRounds(plannedRounds)
            .setDelta(delta)
            .setLocalSteps(round.localSteps())
            .setUnit(
                round.unit() == RoundPrivacy.Unit.SITE
                    ? PrivacyUnit.PRIVACY_UNIT_SITE
                    : PrivacyUnit.PRIVACY_UNIT_PATIENT);
    RoundPrivacy.Distributed distributed = round.distributed();
    if (distributed != null) {
      settings
          .setBits(distributed.bits())
          .setNoise(
              distributed.noise() == NoiseKind.SKELLAM
                  ? PrivacyNoise.PRIVACY_NOISE_SKELLAM
                  : PrivacyNoise.PRIVACY_NOISE_DISCRETE_GAUSSIAN)
          .setGuaranteedShares(distributed.guaranteedShares())
          .setMaxShares(distributed.maxShares())
          .setRotationSeed(ByteString.copyFrom(distributed.rotationSeed()));
    }
    return settings.build();
  }

  /**
   * The update a round of {@code round}'s settings releases. DISTRIBUTED: {@code aggregate} holds
   * the decoded noisy Σ clip(g); the step is −lr · that / B. CENTRAL: {@code aggregate} is the mean
   * of the sites' Σ clip(g) / B with weight 1 each; the step is −lr · (their sum + N(0, (z·C/B)²)).
   * LOCAL: unchanged.
   */
  public AggregateUpdate release(RoundPrivacy round, AggregateUpdate aggregate) {
    float[] step = aggregate.delta();
    // Patient records: the sum is of gradients, so the step goes against it. Sites: the sum is of
    // clipped updates (new − old), applied as their noisy mean.
    double learningRate = round.unit() == RoundPrivacy.Unit.SITE ? -1 : this.learningRate;
    switch (round.mode()) {
      case LOCAL -> {
        return aggregate;
      }
      case DISTRIBUTED -> {
        double scale = -learningRate / round.expectedBatchSize();
        for (int i = 0; i < step.length; i++) {
          step[i] = (float) (step[i] * scale);
        }
      }
      case CENTRAL -> {
        int contributions = aggregate.contributions();
        for (int i = 0; i < step.length; i++) {
          step[i] *= contributions;
        }
        noise.addTo(step, round.noiseStdDev() / round.expectedBatchSize());
        for (int i = 0; i < step.length; i++) {
          step[i] = (float) (step[i] * -learningRate);
        }
      }
    }
    return new AggregateUpdate(step, aggregate.totalWeight(), aggregate.contributions());
  }
}
