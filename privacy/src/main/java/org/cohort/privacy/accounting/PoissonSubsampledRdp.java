package org.cohort.privacy.accounting;

import static org.cohort.privacy.math.SpecialFunctions.log1pExp;
import static org.cohort.privacy.math.SpecialFunctions.logAdd;
import static org.cohort.privacy.math.SpecialFunctions.logExpm1;

import java.util.function.IntToDoubleFunction;

/**
 * RDP upper bound for one step of any mechanism run on a Poisson sample (each record included
 * independently with probability γ), from the mechanism's own RDP curve ε(ℓ) at integer orders ℓ =
 * 2..α: Zhu and Wang, "Poisson Subsampled Rényi Differential Privacy" (ICML 2019), Theorem 5 (the
 * general upper bound), for integer α ≥ 2:
 *
 * <pre>
 * ε'(α) ≤ 1/(α-1) · log( (1-γ)^(α-1) (αγ - γ + 1)
 *                       + C(α,2) γ² (1-γ)^(α-2) e^{ε(2)}
 *                       + 3 Σ_{ℓ=3..α} C(α,ℓ) γ^ℓ (1-γ)^(α-ℓ) e^{(ℓ-1) ε(ℓ)} ).
 * </pre>
 *
 * <p>The first term is the ℓ = 0 and ℓ = 1 binomial weights, so the argument of the log is 1 +
 * Σ_{ℓ≥2} C(α,ℓ) γ^ℓ (1-γ)^(α-ℓ) (w_ℓ e^{(ℓ-1)ε(ℓ)} - 1) with w_2 = 1, w_ℓ = 3: a sum of
 * non-negative terms, accumulated in log space (log-sum-exp) and passed through log1p, so a
 * per-step RDP of 1e-20 keeps its relative precision.
 *
 * <p>The bound is also capped by ε(α) itself (a Poisson sample is a mixture, and Rényi divergence
 * is jointly quasi-convex, so subsampling never hurts). A fractional α uses the bound at ⌈α⌉: RDP
 * is non-decreasing in the order, so that is still an upper bound at α. Above {@link
 * #MAX_SUMMED_ORDER} the O(α) sum is not evaluated and ε(α) is returned (valid, without
 * amplification): such orders only matter for targets far below any amplified regime.
 */
public final class PoissonSubsampledRdp {

  /** Largest order for which the sum over ℓ = 2..α is evaluated. */
  static final int MAX_SUMMED_ORDER = 4096;

  private PoissonSubsampledRdp() {}

  /**
   * Upper bound on the RDP at order {@code alpha} of one subsampled step.
   *
   * @param samplingRate γ in (0, 1]
   * @param baseRdp the base mechanism's RDP ε(ℓ) at integer order ℓ ≥ 2 (may be +∞)
   * @param alpha order > 1; +∞ gives +∞
   */
  public static double perStep(double samplingRate, IntToDoubleFunction baseRdp, double alpha) {
    double q = InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
    InvalidPrivacyParameterException.requireOrder(alpha);
    if (Double.isInfinite(alpha)) {
      return Double.POSITIVE_INFINITY;
    }
    if (alpha > MAX_SUMMED_ORDER) {
      return baseRdp.applyAsDouble(ceilOrder(alpha));
    }
    int order = ceilOrder(alpha);
    double unamplified = baseRdp.applyAsDouble(order);
    if (q == 1.0) {
      return unamplified;
    }
    return Math.min(unamplified, theorem5(q, baseRdp, order));
  }

  /** The order at which a possibly fractional α is evaluated: ⌈α⌉, and at least 2. */
  static int ceilOrder(double alpha) {
    double up = Math.ceil(alpha);
    if (up > Integer.MAX_VALUE) {
      throw new InvalidPrivacyParameterException("Renyi order too large: " + alpha);
    }
    return Math.max(2, (int) up);
  }

  private static double theorem5(double q, IntToDoubleFunction baseRdp, int alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double logAMinus1 = Double.NEGATIVE_INFINITY;
    double logBinomial = Math.log(alpha); // log C(alpha, 1)
    for (int l = 2; l <= alpha; l++) {
      logBinomial += Math.log(alpha - l + 1) - Math.log(l);
      double exponent = (l - 1) * baseRdp.applyAsDouble(l);
      if (exponent == Double.POSITIVE_INFINITY) {
        return Double.POSITIVE_INFINITY;
      }
      // log(w e^x - 1): w = 1 at l = 2, w = 3 above (then 3e^x - 1 >= 2, no cancellation)
      double logWeightMinus1 =
          l == 2 ? logExpm1(exponent) : exponent + Math.log(3 - Math.exp(-exponent));
      double term = logBinomial + l * logQ + (alpha - l) * log1mQ + logWeightMinus1;
      logAMinus1 = logAdd(logAMinus1, term);
    }
    return log1pExp(logAMinus1) / (alpha - 1);
  }
}
