package org.cohort.privacy.round;

import org.cohort.privacy.accounting.InvalidPrivacyParameterException;
import org.cohort.privacy.accounting.NoiseCalibration;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import org.cohort.privacy.distributed.Contributions;
import org.cohort.privacy.distributed.DistributedNoisePlan;
import org.cohort.privacy.distributed.DistributedNoiseSpec;
import org.cohort.privacy.distributed.NoiseKind;
import org.cohort.privacy.distributed.RandomizedHadamard;

/**
 * The differential privacy of a federation's training rounds, from the public settings alone, so
 * that the coordinator (which plans and calibrates) and every site (which recomputes its own
 * guarantee before it trains) reach the same figures. The unit protected is one record of one
 * site's training data: a neighbouring federation differs in one patient.
 *
 * <p>Every round of {@link Mode#CENTRAL} and {@link Mode#DISTRIBUTED} is one step of DP-SGD over
 * the whole federation: each site includes each of its records with probability {@code
 * samplingRate} (its own Poisson sample, drawn from its own randomness), clips every record's
 * gradient to L2 norm {@code clipNorm} and sums them; the sum of all sites' sums gets Gaussian-like
 * noise of standard deviation {@code noiseMultiplier · clipNorm} and is divided by the public
 * {@code expectedBatchSize}. One record changes one site's sum by at most {@code clipNorm}, so each
 * round is a Poisson-subsampled Gaussian mechanism on each site's data set. {@link Mode#LOCAL} runs
 * {@code localSteps} such steps inside each site's own training, with the full noise at each site.
 *
 * @param mode where the noise is added
 * @param clipNorm C, the L2 bound of each record's gradient
 * @param noiseMultiplier z, the noise standard deviation of the released sum over C
 * @param samplingRate q, the probability that a round's sample includes a given record
 * @param expectedBatchSize B, the public divisor of the gradient sum
 * @param dimension parameters of the model
 * @param localSteps DP-SGD steps per round at each site (LOCAL only; 1 otherwise)
 * @param distributed the integer encoding of the secure sum (DISTRIBUTED only; null otherwise)
 * @param unit what one protected unit is: a patient record, or (for large consortia) a whole site
 */
public record RoundPrivacy(
    Mode mode,
    double clipNorm,
    double noiseMultiplier,
    double samplingRate,
    double expectedBatchSize,
    int dimension,
    int localSteps,
    Distributed distributed,
    Unit unit) {

  /**
   * The unit a neighbouring federation differs in. {@link #SITE}: each site trains as without
   * privacy, clips its whole update (new − old parameters) to L2 norm C and sends it (every
   * participant each round: q = 1); B is the public expected number of contributing sites, and the
   * step is (Σ clipped updates + noise) / B. A site-level guarantee implies the same guarantee for
   * every patient, but needs far more sites to be useful. Only DISTRIBUTED and CENTRAL.
   */
  public enum Unit {
    PATIENT,
    SITE
  }

  /**
   * How a DISTRIBUTED round's noise is split and encoded. Each site sends the integer encoding
   * ({@link DistributedNoisePlan}) of its clipped gradient sum plus a share of integer noise; the
   * shares are sized so that any {@code guaranteedShares} of them carry the whole noise, so the
   * guarantee holds however many of the {@code maxShares} sites drop out before sending (a site
   * that drops adds neither data nor noise). Secure aggregation unmasks only sums of at least its
   * threshold t of inputs, of which up to the job's assumed colluders may have told the coordinator
   * their noise: guaranteedShares = t − colluders.
   *
   * @param bits the secure sum is over Z_(2^bits)
   * @param noise the integer noise of each share
   * @param guaranteedShares noise shares every unmasked sum carries at least
   * @param maxShares sites of the round, which bound the sum against a modular wrap
   * @param rotationSeed the round's public seed of the randomized Hadamard rotation
   */
  public record Distributed(
      int bits, NoiseKind noise, int guaranteedShares, int maxShares, byte[] rotationSeed) {
    public Distributed {
      if (noise == null) {
        throw new InvalidPrivacyParameterException("the noise kind must be set");
      }
      if (guaranteedShares < 1 || maxShares < guaranteedShares) {
        throw new InvalidPrivacyParameterException(
            "need 1 <= guaranteed shares <= sites, got " + guaranteedShares + " of " + maxShares);
      }
      if (rotationSeed == null || rotationSeed.length != RandomizedHadamard.SEED_BYTES) {
        throw new InvalidPrivacyParameterException(
            "the rotation seed must have " + RandomizedHadamard.SEED_BYTES + " bytes");
      }
      rotationSeed = rotationSeed.clone();
    }

    @Override
    public byte[] rotationSeed() {
      return rotationSeed.clone();
    }
  }

  /** Where the noise is added, and so whom the guarantee trusts. */
  public enum Mode {
    /**
     * Each site adds a share of integer noise under secure aggregation: only the fully noised sum
     * is ever unmasked.
     */
    DISTRIBUTED,
    /** The coordinator adds it to the sum of the sites' clipped gradient sums: trusts it. */
    CENTRAL,
    /** Each site adds it at every step of its local DP-SGD: trusts nobody. */
    LOCAL
  }

  /** {@link org.cohort.privacy.noise.GaussianNoise}'s grid spacing is at most σ·2^-24. */
  private static final double GRID_FRACTION_OF_SIGMA = 0x1p-24;

  public RoundPrivacy {
    if (mode == null) {
      throw new InvalidPrivacyParameterException("the privacy mode must be set");
    }
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new InvalidPrivacyParameterException(
          "the clip norm must be positive and finite, got " + clipNorm);
    }
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new InvalidPrivacyParameterException(
          "the noise multiplier must be positive and finite, got " + noiseMultiplier);
    }
    if (!(samplingRate > 0 && samplingRate <= 1)) {
      throw new InvalidPrivacyParameterException(
          "the sampling rate must be in (0, 1], got " + samplingRate);
    }
    if (!(expectedBatchSize > 0) || Double.isInfinite(expectedBatchSize)) {
      throw new InvalidPrivacyParameterException(
          "the expected batch size must be positive and finite, got " + expectedBatchSize);
    }
    if (dimension < 1) {
      throw new InvalidPrivacyParameterException("the dimension must be >= 1, got " + dimension);
    }
    if (localSteps < 1) {
      throw new InvalidPrivacyParameterException("local steps must be >= 1, got " + localSteps);
    }
    if ((mode == Mode.DISTRIBUTED) != (distributed != null)) {
      throw new InvalidPrivacyParameterException(
          "the integer encoding is set for distributed rounds, and only for them");
    }
    if (unit == null) {
      throw new InvalidPrivacyParameterException("the privacy unit must be set");
    }
    if (unit == Unit.SITE && (mode == Mode.LOCAL || samplingRate != 1)) {
      throw new InvalidPrivacyParameterException(
          "site-level privacy works with distributed or central rounds of every participant"
              + " (sampling rate 1)");
    }
  }

  /** Patient-level settings. */
  public RoundPrivacy(
      Mode mode,
      double clipNorm,
      double noiseMultiplier,
      double samplingRate,
      double expectedBatchSize,
      int dimension,
      int localSteps,
      Distributed distributed) {
    this(
        mode,
        clipNorm,
        noiseMultiplier,
        samplingRate,
        expectedBatchSize,
        dimension,
        localSteps,
        distributed,
        Unit.PATIENT);
  }

  /** CENTRAL or LOCAL settings, without an integer encoding. */
  public RoundPrivacy(
      Mode mode,
      double clipNorm,
      double noiseMultiplier,
      double samplingRate,
      double expectedBatchSize,
      int dimension,
      int localSteps) {
    this(
        mode,
        clipNorm,
        noiseMultiplier,
        samplingRate,
        expectedBatchSize,
        dimension,
        localSteps,
        null);
  }

  /** These settings with the integer encoding of a DISTRIBUTED round. */
  public RoundPrivacy withDistributed(Distributed encoding) {
    return new RoundPrivacy(
        mode,
        clipNorm,
        noiseMultiplier,
        samplingRate,
        expectedBatchSize,
        dimension,
        localSteps,
        encoding,
        unit);
  }

  /**
   * DISTRIBUTED: the integer encoding both sides derive from these public settings (the same γ,
   * sensitivities and share variance on every site and at the coordinator).
   *
   * @throws org.cohort.privacy.distributed.UnworkableNoisePlanException if the bits cannot hold the
   *     sum without a likely wrap or without inflating the sensitivity too much
   */
  public DistributedNoisePlan plan() {
    if (distributed == null) {
      throw new IllegalStateException("only a distributed round has an integer encoding");
    }
    return DistributedNoisePlan.create(
        new DistributedNoiseSpec(
            dimension,
            clipNorm,
            noiseMultiplier,
            distributed.guaranteedShares(),
            distributed.maxShares(),
            distributed.bits(),
            DistributedNoiseSpec.DEFAULT_K_SIGMAS,
            unit == Unit.SITE
                ? new Contributions.OnePerSite(Contributions.OnePerSite.RECOMMENDED_BETA)
                : new Contributions.SummedAtSite(aggregateNormBound()),
            distributed.noise()));
  }

  /**
   * A bound on the L2 norm of the federation's sum of clipped gradients, for sizing the grid
   * against a wrap: C times the expected batch plus four standard deviations of a Poisson count
   * (the realised batch is a sum of Bernoulli draws, whose variance is below its mean).
   */
  private double aggregateNormBound() {
    return clipNorm * (expectedBatchSize + 4 * Math.sqrt(expectedBatchSize) + 4);
  }

  public RoundPrivacy withNoiseMultiplier(double z) {
    return new RoundPrivacy(
        mode,
        clipNorm,
        z,
        samplingRate,
        expectedBatchSize,
        dimension,
        localSteps,
        distributed,
        unit);
  }

  /**
   * Standard deviation of the Gaussian noise on a sum of clipped gradients (before any division):
   * {@link #gaussianStdDev} for these settings.
   */
  public double noiseStdDev() {
    return gaussianStdDev(noiseMultiplier, clipNorm, dimension);
  }

  /**
   * The standard deviation that gives a d-dimensional sum of sensitivity C noise multiplier at
   * least z under {@link org.cohort.privacy.noise.GaussianNoise}: z·C / (1 − z·√d·2^-24). That
   * sampler rounds the sum to its grid (spacing g ≤ σ·2^-24) before adding noise, which can widen
   * the sensitivity from C to C + g·√d; with this σ, σ / (C + g·√d) ≥ z, so the accountant may use
   * z as recorded. For z = 1 and a million parameters σ is z·C·(1 + 6e-5).
   *
   * @throws InvalidPrivacyParameterException if z·√d·2^-24 ≥ 1/2 (a model too large for the grid)
   */
  public static double gaussianStdDev(double noiseMultiplier, double clipNorm, int dimension) {
    double gridShare = noiseMultiplier * Math.sqrt(dimension) * GRID_FRACTION_OF_SIGMA;
    if (!(gridShare < 0.5)) {
      throw new InvalidPrivacyParameterException(
          "noise multiplier " + noiseMultiplier + " is too large for " + dimension + " parameters");
    }
    return noiseMultiplier * clipNorm / (1 - gridShare);
  }

  /** What {@code rounds} rounds release about each site's records. */
  public PrivacyEvent over(long rounds) {
    if (mode != Mode.DISTRIBUTED) {
      return new PrivacyEvent.SubsampledGaussian(
          samplingRate, noiseMultiplier, rounds * localSteps);
    }
    DistributedNoisePlan plan = plan();
    int shares = distributed.guaranteedShares();
    return distributed.noise() == NoiseKind.SKELLAM
        ? new PrivacyEvent.Skellam(
            samplingRate,
            plan.l2Sensitivity(),
            plan.l1Sensitivity(),
            shares * plan.shareVariance(),
            rounds)
        : new PrivacyEvent.DistributedDiscreteGaussian(
            samplingRate,
            plan.l2Sensitivity(),
            plan.l1Sensitivity(),
            plan.shareSigma(),
            shares,
            plan.paddedDimension(),
            rounds);
  }

  /** The guarantee of {@code rounds} rounds at {@code delta}, by the RDP accountant. */
  public PrivacySpent spent(long rounds, double delta) {
    return RdpAccountant.create().compose(over(rounds)).epsilon(delta);
  }

  /**
   * These settings with the smallest noise multiplier whose {@code rounds} rounds meet (ε, δ).
   *
   * @throws org.cohort.privacy.accounting.UnattainablePrivacyTargetException if none does
   */
  public RoundPrivacy calibrated(double epsilon, double delta, long rounds) {
    return withNoiseMultiplier(
        NoiseCalibration.withDefaultOrders()
            .noiseMultiplier(epsilon, delta, z -> withNoiseMultiplier(z).over(rounds))
            .noiseMultiplier());
  }
}
