package org.cohort.privacy.math;

/**
 * Log-space arithmetic and the special functions the accountant and the samplers need, written for
 * relative accuracy (not just absolute) so that tiny Rényi divergences and far Gaussian tails keep
 * all their significant digits.
 */
public final class SpecialFunctions {

  private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

  /**
   * Below this argument erfc is computed as 1 - erf (power series); above, by continued fraction.
   */
  private static final double ERFC_SERIES_LIMIT = 2.0;

  private SpecialFunctions() {}

  /** log(exp(a) + exp(b)) without overflow; either argument may be -infinity. */
  public static double logAdd(double a, double b) {
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    if (lo == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** log(exp(a) - exp(b)) for a >= b; -infinity when equal. */
  public static double logSub(double a, double b) {
    if (b > a) {
      throw new ArithmeticException("logSub of a larger number: " + a + " < " + b);
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    return a + Math.log1p(-Math.exp(b - a));
  }

  /** log(exp(x) - 1) for x > 0, accurate both for tiny and for huge x. */
  public static double logExpm1(double x) {
    return x > 30 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
  }

  /** log(1 + exp(x)), accurate for all x. */
  public static double log1pExp(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  /** erfc(x) with full relative accuracy (to about 1e-15), underflowing only below 1e-308. */
  public static double erfc(double x) {
    return Math.exp(logErfc(x));
  }

  /**
   * log(erfc(x)) with relative accuracy about 1e-15 for every finite x, including arguments (x in
   * the hundreds) where erfc(x) itself underflows.
   */
  public static double logErfc(double x) {
    if (Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x < 0) {
      return Math.log(2.0 - erfcNonNegative(-x));
    }
    if (x < ERFC_SERIES_LIMIT) {
      return Math.log1p(-erfSeries(x));
    }
    return -x * x - LOG_SQRT_PI - Math.log(erfcContinuedFraction(x));
  }

  /** log Φ(x), the log of the standard normal CDF. */
  public static double logNormalCdf(double x) {
    return Math.log(0.5) + logErfc(-x / Math.sqrt(2.0));
  }

  /** Φ(x), the standard normal CDF, with full relative accuracy in the lower tail. */
  public static double normalCdf(double x) {
    return 0.5 * erfc(-x / Math.sqrt(2.0));
  }

  private static double erfcNonNegative(double x) {
    return x < ERFC_SERIES_LIMIT ? 1.0 - erfSeries(x) : erfc(x);
  }

  /**
   * erf(x) = 2/sqrt(pi) exp(-x^2) sum_n x (2x^2)^n / (1*3*...*(2n+1)); every term is positive so
   * the sum has no cancellation (Abramowitz and Stegun 7.1.6).
   */
  private static double erfSeries(double x) {
    double twoXSquared = 2 * x * x;
    double term = x;
    double sum = x;
    for (int n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= twoXSquared / (2 * n + 1);
      sum += term;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }

  /**
   * F(x) with erfc(x) = exp(-x^2) / (sqrt(pi) F(x)), where F(x) = x + (1/2)/(x + 1/(x + (3/2)/(x +
   * ...))) (Abramowitz and Stegun 7.1.15), evaluated by the modified Lentz method.
   */
  private static double erfcContinuedFraction(double x) {
    double tiny = 1e-300;
    double f = x;
    double c = x;
    double d = 0;
    for (int n = 1; n < 5000; n++) {
      double a = 0.5 * n;
      d = x + a * d;
      if (d == 0) {
        d = tiny;
      }
      c = x + a / c;
      if (c == 0) {
        c = tiny;
      }
      d = 1 / d;
      double step = c * d;
      f *= step;
      if (Math.abs(step - 1) < 1e-16) {
        break;
      }
    }
    return f;
  }

  /**
   * log Γ(x) for x > 0, to about 2e-14 absolute: the Stirling series (truncation error below 1e-16
   * for x >= 10) after shifting small arguments up with Γ(x) = Γ(x + n) / (x (x+1) ... (x+n-1)).
   * Used for Poisson acceptance tests, not for the accountant.
   */
  public static double logGamma(double x) {
    if (!(x > 0)) {
      throw new IllegalArgumentException("logGamma needs x > 0, got " + x);
    }
    double shift = 0;
    double product = 1;
    while (x < 10) {
      product *= x;
      x += 1;
      if (product > 1e280) {
        shift += Math.log(product);
        product = 1;
      }
    }
    shift += Math.log(product);
    double inv = 1 / x;
    double inv2 = inv * inv;
    double series =
        inv
            * (1.0 / 12
                - inv2
                    * (1.0 / 360
                        - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 * (1.0 / 1188)))));
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + series - shift;
  }
}
