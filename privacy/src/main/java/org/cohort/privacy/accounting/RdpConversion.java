package org.cohort.privacy.accounting;

/**
 * Conversions from an RDP curve (ε_α at each order α) to (ε, δ)-DP, minimised over the orders.
 *
 * <p>{@link #epsilon} and {@link #delta} use the improved conversion of Canonne, Kamath, Steinke
 * (2020, "The Discrete Gaussian for Differential Privacy", Prop. 12 of arXiv:2004.00010v4), the one
 * Google's dp_accounting and Opacus use: ε = ε_α + log1p(-1/α) - log(δα)/(α-1), plus the
 * KL-divergence bound δ ≤ sqrt(1 - exp(-ε_α)) which gives ε = 0 when it already meets δ. Orders
 * within 0.01 of 1 are skipped by this bound (it is numerically unstable there). {@link
 * #epsilonClassic} is Mironov (2017) Prop. 3, ε = ε_α + log(1/δ)/(α-1), for comparison. Ties go to
 * the first order in the list.
 */
public final class RdpConversion {

  private static final double MIN_ORDER_FOR_IMPROVED_BOUND = 1.01;

  private RdpConversion() {}

  /** Smallest ε over the orders for the given δ in (0, 1) (improved conversion). */
  public static PrivacySpent epsilon(double[] orders, double[] rdp, double delta) {
    checkCurve(orders, rdp);
    InvalidPrivacyParameterException.requireDelta(delta);
    int best = -1;
    double bestEpsilon = Double.POSITIVE_INFINITY;
    for (int k = 0; k < orders.length; k++) {
      double alpha = orders[k];
      double r = rdp[k];
      double eps;
      if (delta * delta + Math.expm1(-r) > 0) {
        eps = 0;
      } else if (alpha > MIN_ORDER_FOR_IMPROVED_BOUND) {
        eps = r + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1);
      } else {
        eps = Double.POSITIVE_INFINITY;
      }
      if (best < 0 || eps < bestEpsilon) {
        best = k;
        bestEpsilon = eps;
      }
    }
    return new PrivacySpent(Math.max(0, bestEpsilon), delta, orders[best]);
  }

  /** Smallest ε over the orders for the given δ, with Mironov's original (looser) conversion. */
  public static PrivacySpent epsilonClassic(double[] orders, double[] rdp, double delta) {
    checkCurve(orders, rdp);
    InvalidPrivacyParameterException.requireDelta(delta);
    int best = 0;
    double bestEpsilon = Double.POSITIVE_INFINITY;
    for (int k = 0; k < orders.length; k++) {
      double eps = rdp[k] - Math.log(delta) / (orders[k] - 1);
      if (eps < bestEpsilon) {
        best = k;
        bestEpsilon = eps;
      }
    }
    return new PrivacySpent(bestEpsilon, delta, orders[best]);
  }

  /** Smallest δ over the orders for the given ε >= 0 (improved conversion and the KL bound). */
  public static PrivacySpent delta(double[] orders, double[] rdp, double epsilon) {
    checkCurve(orders, rdp);
    InvalidPrivacyParameterException.requireEpsilon(epsilon);
    int best = -1;
    double bestLogDelta = Double.POSITIVE_INFINITY;
    for (int k = 0; k < orders.length; k++) {
      double alpha = orders[k];
      double r = rdp[k];
      double logDelta = r == 0 ? Double.NEGATIVE_INFINITY : 0.5 * Math.log1p(-Math.exp(-r));
      if (alpha > MIN_ORDER_FOR_IMPROVED_BOUND) {
        double bound = (alpha - 1) * (r - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha);
        logDelta = Math.min(logDelta, bound);
      }
      if (best < 0 || logDelta < bestLogDelta) {
        best = k;
        bestLogDelta = logDelta;
      }
    }
    return new PrivacySpent(epsilon, Math.min(Math.exp(bestLogDelta), 1.0), orders[best]);
  }

  private static void checkCurve(double[] orders, double[] rdp) {
    if (orders.length == 0 || orders.length != rdp.length) {
      throw new InvalidPrivacyParameterException(
          "need one RDP value per order, got "
              + orders.length
              + " orders and "
              + rdp.length
              + " values");
    }
    for (int k = 0; k < orders.length; k++) {
      InvalidPrivacyParameterException.requireOrder(orders[k]);
      if (!(rdp[k] >= 0)) {
        throw new InvalidPrivacyParameterException(
            "RDP value must be >= 0, got " + rdp[k] + " at order " + orders[k]);
      }
    }
  }
}
