package org.cohort.privacy.distributed;

/** The integer noise each site adds to its share. */
public enum NoiseKind {
  /**
   * Discrete Gaussian N_Z(0, σ²) shares (Kairouz, Liu, Steinke, ICML 2021). A sum of discrete
   * Gaussians is not exactly discrete Gaussian; the accountant charges for that (their Theorem on
   * sums of discrete Gaussians).
   */
  DISCRETE_GAUSSIAN,
  /** Skellam shares (Agarwal, Kairouz, Liu, NeurIPS 2021): a sum of Skellams is Skellam. */
  SKELLAM
}
