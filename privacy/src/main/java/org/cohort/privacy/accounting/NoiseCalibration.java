package org.cohort.privacy.accounting;

/**
 * Finds the smallest noise multiplier σ for which {@code steps} Poisson-subsampled Gaussian steps
 * meet a target (ε, δ). ε(σ) is a minimum over orders of functions decreasing in σ, so it is
 * decreasing in σ and bisection on σ converges to the threshold; the returned σ is always on the
 * safe side (its ε is at most the target).
 */
public final class NoiseCalibration {

  /** Relative width of the final bracket on σ. */
  private static final double RELATIVE_PRECISION = 1e-9;

  private static final double MIN_NOISE_MULTIPLIER = 1e-4;
  private static final double MAX_NOISE_MULTIPLIER = 1e6;

  /** The calibrated noise multiplier and the guarantee it achieves. */
  public record Result(double noiseMultiplier, PrivacySpent achieved) {}

  private final double[] orders;

  private NoiseCalibration(double[] orders) {
    this.orders = orders;
  }

  public static NoiseCalibration withDefaultOrders() {
    return new NoiseCalibration(RdpAccountant.defaultOrders());
  }

  public static NoiseCalibration withOrders(double... orders) {
    RdpAccountant.withOrders(orders); // validates
    return new NoiseCalibration(orders.clone());
  }

  /**
   * Smallest σ (to relative precision 1e-9, rounded up) with ε(σ) <= targetEpsilon.
   *
   * @throws UnattainablePrivacyTargetException if even σ = 1e6 does not meet the target
   */
  public Result noiseMultiplier(
      double targetEpsilon, double delta, double samplingRate, long steps) {
    InvalidPrivacyParameterException.requireEpsilon(targetEpsilon);
    InvalidPrivacyParameterException.requireDelta(delta);
    InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
    InvalidPrivacyParameterException.requireSteps(steps);
    double hi = 1.0;
    while (epsilon(hi, delta, samplingRate, steps) > targetEpsilon) {
      hi *= 2;
      if (hi > MAX_NOISE_MULTIPLIER) {
        throw new UnattainablePrivacyTargetException(
            "no noise multiplier up to "
                + MAX_NOISE_MULTIPLIER
                + " reaches epsilon "
                + targetEpsilon);
      }
    }
    double lo = hi / 2;
    while (epsilon(lo, delta, samplingRate, steps) <= targetEpsilon) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_NOISE_MULTIPLIER) {
        return new Result(hi, spent(hi, delta, samplingRate, steps));
      }
    }
    while (hi - lo > RELATIVE_PRECISION * hi) {
      double mid = 0.5 * (lo + hi);
      if (epsilon(mid, delta, samplingRate, steps) <= targetEpsilon) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return new Result(hi, spent(hi, delta, samplingRate, steps));
  }

  private double epsilon(double sigma, double delta, double q, long steps) {
    return spent(sigma, delta, q, steps).epsilon();
  }

  private PrivacySpent spent(double sigma, double delta, double q, long steps) {
    return RdpAccountant.withOrders(orders)
        .compose(new PrivacyEvent.SubsampledGaussian(q, sigma, steps))
        .epsilon(delta);
  }
}
