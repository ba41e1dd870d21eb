package org.cohort.privacy.accounting;

import org.cohort.privacy.math.SpecialFunctions;

/**
 * The exact (ε, δ) curve of one release of the Gaussian mechanism (Balle and Wang, ICML 2018,
 * "Improving the Gaussian Mechanism for Differential Privacy", Theorem 8): with noise multiplier σ
 * (noise standard deviation / L2 sensitivity), δ(ε) = Φ(1/(2σ) - εσ) - e^ε Φ(-1/(2σ) - εσ). Tighter
 * than any RDP conversion for a single release; k releases with multipliers σ_i compose to one with
 * σ = (Σ σ_i^-2)^-1/2.
 */
public final class AnalyticGaussian {

  private static final int BISECTION_STEPS = 200;

  private AnalyticGaussian() {}

  /** δ at ε for noise multiplier σ. */
  public static double delta(double epsilon, double noiseMultiplier) {
    InvalidPrivacyParameterException.requireEpsilon(epsilon);
    double sigma = InvalidPrivacyParameterException.requireNoiseMultiplier(noiseMultiplier);
    double a = 1 / (2 * sigma);
    double b = epsilon * sigma;
    double first = SpecialFunctions.normalCdf(a - b);
    double second = Math.exp(epsilon + SpecialFunctions.logNormalCdf(-a - b));
    return Math.max(0, first - second);
  }

  /** Smallest ε >= 0 with δ(ε) <= delta, to relative precision 1e-12 (rounded up). */
  public static double epsilon(double noiseMultiplier, double delta) {
    InvalidPrivacyParameterException.requireDelta(delta);
    if (delta(0, noiseMultiplier) <= delta) {
      return 0;
    }
    double hi = 1;
    while (delta(hi, noiseMultiplier) > delta) {
      hi *= 2;
    }
    double lo = 0;
    for (int i = 0; i < BISECTION_STEPS && hi - lo > 1e-12 * hi; i++) {
      double mid = 0.5 * (lo + hi);
      if (delta(mid, noiseMultiplier) <= delta) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /** Smallest noise multiplier with δ(ε) <= delta, to relative precision 1e-12 (rounded up). */
  public static double noiseMultiplier(double epsilon, double delta) {
    InvalidPrivacyParameterException.requireEpsilon(epsilon);
    InvalidPrivacyParameterException.requireDelta(delta);
    double hi = 1;
    while (delta(epsilon, hi) > delta) {
      hi *= 2;
    }
    double lo = hi / 2;
    while (lo > Double.MIN_NORMAL && delta(epsilon, lo) <= delta) {
      hi = lo;
      lo /= 2;
    }
    for (int i = 0; i < BISECTION_STEPS && hi - lo > 1e-12 * hi; i++) {
      double mid = 0.5 * (lo + hi);
      if (delta(epsilon, mid) <= delta) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }
}
