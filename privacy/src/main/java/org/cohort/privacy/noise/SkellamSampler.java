package org.cohort.privacy.noise;

import org.cohort.privacy.math.SpecialFunctions;

/**
 * Symmetric Skellam noise Sk(μ, μ) = Poisson(μ) - Poisson(μ) on the integers, variance 2μ, for the
 * distributed-DP Skellam mechanism (Agarwal, Kairouz, Liu, NeurIPS 2021): sums of independent
 * Skellam shares are Skellam again, so each site adds its share and the aggregate carries the full
 * noise.
 *
 * <p>Poisson variates: sequential inversion for μ < 10; above, Hörmann's PTRS transformed rejection
 * (1993). Both accept or reject with floating-point comparisons, so the law is the Poisson law up
 * to double rounding in those comparisons (relative 1e-15 per probability), not bit-exact like
 * {@link DiscreteGaussianSampler}; outputs are integers, so there are no low-order bits to leak.
 */
public final class SkellamSampler {

  private static final double INVERSION_LIMIT = 10;

  private final AesCtrDrbg random;
  private final double mu;
  private final double expMinusMu;
  private final double ptrsB;
  private final double ptrsA;
  private final double ptrsLogInverseAlpha;
  private final double ptrsVr;
  private final double logMu;

  public SkellamSampler(AesCtrDrbg random, double mu) {
    if (!(mu > 0) || Double.isInfinite(mu)) {
      throw new IllegalArgumentException("Skellam mu must be > 0 and finite, got " + mu);
    }
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
