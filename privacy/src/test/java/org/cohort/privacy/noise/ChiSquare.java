package org.cohort.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pearson's goodness-of-fit statistic against exact bin probabilities (public for the tests of the
 * distributed pipeline).
 */
public final class ChiSquare {

  /**
   * Upper 1e-7 quantiles of the chi-square distribution (scipy.stats.chi2.isf(1e-7, df)), keyed by
   * degrees of freedom: a correct sampler fails with probability 1e-7 per seed, and the tests use
   * fixed seeds, so they are deterministic.
   */
  public static double criticalValue(int degreesOfFreedom) {
    return switch (degreesOfFreedom) {
      case 6 -> 43.337757113294245;
      case 10 -> 52.30953841065543;
      case 12 -> 56.43366122940565;
      case 13 -> 58.432423188319135;
      case 22 -> 75.14875763754127;
      case 31 -> 90.4432737525169;
      default ->
          throw new IllegalArgumentException(
              "no tabulated critical value for df " + degreesOfFreedom);
    };
  }

  public static void assertFits(long[] observed, double[] probabilities, String what) {
    long n = 0;
    for (long o : observed) {
      n += o;
    }
    double statistic = 0;
    for (int b = 0; b < observed.length; b++) {
      double expected = n * probabilities[b];
      assertTrue(expected >= 5, "bin " + b + " too small for the chi-square approximation");
      statistic += (observed[b] - expected) * (observed[b] - expected) / expected;
    }
    double critical = criticalValue(observed.length - 1);
    assertTrue(statistic < critical, what + ": chi-square " + statistic + " >= " + critical);
  }

  private ChiSquare() {}
}
