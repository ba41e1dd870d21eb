package org.cohort.privacy.noise;

import org.cohort.privacy.math.SpecialFunctions;

/**
 * Symmetric Skellam noise Sk(μ, μ) = Poisson(μ) - Poisson(μ) on the integers, for the
 * distributed-DP Skellam mechanism (Agarwal, Kairouz, Liu, NeurIPS 2021): sums of independent
 * Skellam shares are Skellam again, so each site adds its share and the aggregate carries the full
 * noise. Built from its variance ({@link #withVariance}), which is 2μ: the Poisson mean μ is an
 * internal detail, so nobody passes a variance where μ was meant and halves the noise.
 *
 * <p>Poisson variates: sequential inversion for μ < 10; above, Hörmann's PTRS transformed rejection
 * (1993). Both accept or reject with floating-point comparisons, so the law is the Poisson law up
 * to double rounding in those comparisons, not bit-exact like {@link DiscreteGaussianSampler}. The
 * PTRS test compares log-probabilities of magnitude about μ·ln μ, so its absolute rounding error,
 * and hence the relative error of each probability, grows like μ·ln μ·2^-52: below 1e-9 up to
 * {@link #MAX_VARIANCE}, which is why larger variances are refused. Outputs are integers, so there
 * are no low-order bits to leak.
 */
public final class SkellamSampler {

  /** Largest variance 2μ accepted: μ = 2^16 keeps the PTRS rounding error below 1e-9. */
  public static final double MAX_VARIANCE = 0x1.0p17;

  private static final double INVERSION_LIMIT = 10;

  private final AesCtrDrbg random;
  private final double mu;
  private final double expMinusMu;
  private final double ptrsB;
  private final double ptrsA;
  private final double ptrsLogInverseAlpha;
  private final double ptrsVr;
  private final double logMu;

  private SkellamSampler(AesCtrDrbg random, double mu) {
    this.random = random;
    this.mu = mu;
    this.expMinusMu = Math.exp(-mu);
    this.logMu = Math.log(mu);
    double sqrtMu = Math.sqrt(mu);
    this.ptrsB = 0.931 + 2.53 * sqrtMu;
    this.ptrsA = -0.059 + 0.02483 * ptrsB;
    this.ptrsLogInverseAlpha = Math.log(1.1239 + 1.1328 / (ptrsB - 3.4));
    this.ptrsVr = 0.9277 - 3.6224 / (ptrsB - 2);
  }

  /** Sk(v/2, v/2): zero mean and variance {@code variance}, in (0, {@link #MAX_VARIANCE}]. */
  public static SkellamSampler withVariance(AesCtrDrbg random, double variance) {
    if (!(variance > 0 && variance <= MAX_VARIANCE)) {
      throw new IllegalArgumentException(
          "Skellam variance must be in (0, " + MAX_VARIANCE + "], got " + variance);
    }
    return new SkellamSampler(random, variance / 2);
  }

  public long sample() {
    return poisson() - poisson();
  }

  /** Fills {@code out} with independent samples. */
  public void sample(long[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = sample();
    }
  }

  /** One Poisson(μ) variate. */
  long poisson() {
    return mu < INVERSION_LIMIT ? poissonByInversion() : poissonPtrs();
  }

  private long poissonByInversion() {
    double u = random.nextOpenUnitDouble();
    long k = 0;
    double probability = expMinusMu;
    double cumulative = probability;
    while (u > cumulative && probability > 0) {
      k++;
      probability *= mu / k;
      cumulative += probability;
    }
    return k;
  }

  private long poissonPtrs() {
    while (true) {
      double u = random.nextOpenUnitDouble() - 0.5;
      double v = random.nextOpenUnitDouble();
      double us = 0.5 - Math.abs(u);
      long k = (long) Math.floor((2 * ptrsA / us + ptrsB) * u + mu + 0.43);
      if (us >= 0.07 && v <= ptrsVr) {
        return k;
      }
      if (k < 0 || (us < 0.013 && v > us)) {
        continue;
      }
      double logAcceptance =
          Math.log(v) + ptrsLogInverseAlpha - Math.log(ptrsA / (us * us) + ptrsB);
      if (logAcceptance <= -mu + k * logMu - SpecialFunctions.logGamma(k + 1.0)) {
        return k;
      }
    }
  }
}
