package org.cohort.privacy.distributed;

/**
 * What one site's input vector is, which decides how it may be rounded and what the rounding does
 * to the L2 sensitivity.
 */
public sealed interface Contributions {

  /**
   * Each site's vector is one protected unit's whole contribution, with L2 norm at most the clip
   * norm C (the setting of Kairouz, Liu, Steinke 2021). Rounding is conditional: it is redrawn
   * until the rounded vector's norm is within the paper's bound, which holds with probability at
   * least 1 - β per draw (their Section 4.1). β = 0 means plain randomized rounding with the
   * worst-case bound.
   *
   * @param beta in [0, 1); the paper recommends exp(-1/2) ({@link #RECOMMENDED_BETA})
   */
  record OnePerSite(double beta) implements Contributions {

    public static final double RECOMMENDED_BETA = Math.exp(-0.5);

    public OnePerSite {
      if (!(beta >= 0 && beta < 1)) {
        throw new IllegalArgumentException("beta must be in [0, 1), got " + beta);
      }
    }
  }

  /**
   * Each site's vector is a sum of contributions of L2 norm at most C each, such as the sum over a
   * site's Poisson-sampled records of clipped per-example gradients (record-level DP-SGD). The sum
   * itself can be far longer than C, so no norm bound on it can be enforced; rounding is plain
   * randomized rounding, and the sensitivity is the worst case C/γ + √d' (coupling the two
   * roundings with shared uniforms, coordinate j of the rounded difference is at most |g_j| + 1 for
   * a record's contribution g; Rényi divergence is jointly quasi-convex, so the mixture over
   * roundings is no worse than the worst coupled pair).
   *
   * @param aggregateNormBound a bound on the L2 norm of the federation-wide sum of the inputs, in
   *     real units (for example the expected number of records per round times C); it only sizes
   *     the grid against modular wrap-around and has no bearing on privacy
   */
  record SummedAtSite(double aggregateNormBound) implements Contributions {
    public SummedAtSite {
      if (!(aggregateNormBound > 0) || Double.isInfinite(aggregateNormBound)) {
        throw new IllegalArgumentException(
            "aggregate norm bound must be > 0 and finite, got " + aggregateNormBound);
      }
    }
  }
}
