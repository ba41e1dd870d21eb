package org.cohort.privacy.accounting;

/**
 * Per-round RDP curves of the discrete noise mechanisms used with secure aggregation (formulas and
 * sources on {@link PrivacyEvent.DistributedDiscreteGaussian} and {@link PrivacyEvent.Skellam}).
 */
final class DiscreteNoiseRdp {

  /**
   * Terms of τ summed one by one; the rest are bounded by their count times the last summed term
   * (the terms decrease in k), which can only make τ larger.
   */
  private static final int TAU_SUMMED_TERMS = 100_000;

  private DiscreteNoiseRdp() {}

  /**
   * One round of the distributed discrete Gaussian, with its n-dependent constants computed once.
   */
  record DistributedDiscreteGaussianRound(
      double l2Scale, double l1Scale, double tau, int dimension) {

    /** Kairouz-Liu-Steinke Prop. 14 at order α. */
    double rdp(int alpha) {
      double a2 = l2Scale * l2Scale;
      double tauD = tau * dimension;
      double first = alpha * a2 / 2 + tauD;
      double second = alpha / 2.0 * (a2 + 2 * l1Scale * tau + tau * tauD);
      double third = alpha / 2.0 * square(l2Scale + tau * Math.sqrt(dimension));
      return Math.min(first, Math.min(second, third));
    }
  }

  static DistributedDiscreteGaussianRound distributedDiscreteGaussian(
      double l2Sensitivity, double l1Sensitivity, double shareSigma, int shares, int dimension) {
    double centralSigma = Math.sqrt(shares) * shareSigma;
    return new DistributedDiscreteGaussianRound(
        l2Sensitivity / centralSigma,
        l1Sensitivity / centralSigma,
        tau(shareSigma, shares),
        dimension);
  }

  /** τ = 10 Σ_{k=1}^{n-1} exp(-2π²σ² k/(k+1)), the price of summing n discrete Gaussians. */
  static double tau(double shareSigma, int shares) {
    double rate = 2 * Math.PI * Math.PI * shareSigma * shareSigma;
    double sum = 0;
    double term = 0;
    int summed = Math.min(shares - 1, TAU_SUMMED_TERMS);
    for (int k = 1; k <= summed; k++) {
      term = Math.exp(-rate * k / (k + 1.0));
      sum += term;
    }
    sum += (double) (shares - 1 - summed) * term;
    return 10 * sum;
  }

  /** Agarwal-Kairouz-Liu multi-dimensional Skellam RDP at integer order α, total variance V. */
  static double skellam(double l2Sensitivity, double l1Sensitivity, double variance, int alpha) {
    double l2Squared = l2Sensitivity * l2Sensitivity;
    double gaussianPart = alpha * l2Squared / (2 * variance);
    double correction =
        Math.min(
            ((2.0 * alpha - 1) * l2Squared + 6 * l1Sensitivity) / (4 * variance * variance),
            3 * l1Sensitivity / (2 * variance));
    return gaussianPart + correction;
  }

  private static double square(double x) {
    return x * x;
  }
}
