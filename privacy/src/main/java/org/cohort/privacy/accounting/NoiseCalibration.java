package org.cohort.privacy.accounting;

import java.util.function.DoubleFunction;

/**
 * Finds the smallest noise parameter σ for which a planned event meets a target (ε, δ), for any
 * event family given as a function of σ (the Gaussian noise multiplier, the distributed discrete
 * Gaussian's share σ, ...). The family's ε(σ) must be non-increasing in σ: it is for every family
 * here, since each order's RDP is. Bisection on σ then converges to the threshold, and the returned
 * σ is always on the safe side (its ε, which is returned with it, is at most the target).
 */
public final class NoiseCalibration {

  /** Relative width of the final bracket on σ. */
  private static final double RELATIVE_PRECISION = 1e-9;

  private static final double MIN_NOISE_MULTIPLIER = 1e-4;
  private static final double MAX_NOISE_MULTIPLIER = 1e9;

  /** The calibrated noise parameter and the guarantee it achieves. */
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
   * Smallest Gaussian noise multiplier (to relative precision 1e-9, rounded up) with ε <=
   * targetEpsilon after {@code steps} Poisson-subsampled Gaussian steps.
   *
   * @throws UnattainablePrivacyTargetException if even σ = 1e9 does not meet the target
   */
  public Result noiseMultiplier(
      double targetEpsilon, double delta, double samplingRate, long steps) {
    InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
    InvalidPrivacyParameterException.requireSteps(steps);
    return noiseMultiplier(
        targetEpsilon,
        delta,
        sigma -> new PrivacyEvent.SubsampledGaussian(samplingRate, sigma, steps));
  }

  /**
   * Smallest σ (to relative precision 1e-9, rounded up) with ε(eventForNoiseMultiplier(σ)) <=
   * targetEpsilon. Values of σ below 1 that the family rejects (e.g. a share σ below 1/2) count as
   * not meeting the target; the family must accept every σ >= 1.
   *
   * @throws UnattainablePrivacyTargetException if even σ = 1e9 does not meet the target
   */
  public Result noiseMultiplier(
      double targetEpsilon, double delta, DoubleFunction<PrivacyEvent> eventForNoiseMultiplier) {
    InvalidPrivacyParameterException.requireEpsilon(targetEpsilon);
    InvalidPrivacyParameterException.requireDelta(delta);
    Search search = new Search(eventForNoiseMultiplier, delta);
    double hi = 1.0;
    while (search.epsilon(hi) > targetEpsilon) {
      hi *= 2;
      if (hi > MAX_NOISE_MULTIPLIER) {
        throw new UnattainablePrivacyTargetException(
            "no noise multiplier up to "
                + MAX_NOISE_MULTIPLIER
                + " reaches epsilon "
                + targetEpsilon
                + " at delta "
                + delta);
      }
    }
    double lo = hi / 2;
    while (search.epsilon(lo) <= targetEpsilon) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_NOISE_MULTIPLIER) {
        return new Result(hi, search.spent(hi));
      }
    }
    while (hi - lo > RELATIVE_PRECISION * hi) {
      double mid = 0.5 * (lo + hi);
      if (search.epsilon(mid) <= targetEpsilon) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return new Result(hi, search.spent(hi));
  }

  private final class Search {
    private final DoubleFunction<PrivacyEvent> family;
    private final double delta;

    Search(DoubleFunction<PrivacyEvent> family, double delta) {
      this.family = family;
      this.delta = delta;
    }

    double epsilon(double sigma) {
      if (sigma < 1) {
        try {
          return spent(sigma).epsilon();
        } catch (InvalidPrivacyParameterException belowTheFamilysDomain) {
          return Double.POSITIVE_INFINITY;
        }
      }
      return spent(sigma).epsilon();
    }

    PrivacySpent spent(double sigma) {
      return RdpAccountant.withOrders(orders).compose(family.apply(sigma)).epsilon(delta);
    }
  }
}
