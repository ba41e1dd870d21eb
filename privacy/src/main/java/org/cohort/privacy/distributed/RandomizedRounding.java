package org.cohort.privacy.distributed;

import org.cohort.privacy.noise.AesCtrDrbg;

/**
 * Unbiased randomized rounding to the integers, optionally conditioned on the rounded vector's L2
 * norm (Kairouz, Liu, Steinke 2021, Section 4.1): each coordinate v goes to floor(v) + 1 with
 * probability v - floor(v) and to floor(v) otherwise, and the whole vector is redrawn while its
 * squared norm exceeds the bound.
 */
final class RandomizedRounding {

  /**
   * Draws allowed before giving up. With the paper's bound each draw fails with probability at most
   * β < 1, so reaching this means the input broke its norm promise, not bad luck (β^1000 with β =
   * exp(-1/2) is e^-500).
   */
  static final int MAX_ATTEMPTS = 1000;

  private RandomizedRounding() {}

  /**
   * Rounds {@code values[i] * scale} into {@code out[i]} (the low 32 bits of the rounded integer,
   * which is all that arithmetic mod 2^b with b <= 32 needs) until the rounded vector's squared
   * norm is at most {@code squaredNormBound} (pass infinity for unconditional rounding).
   *
   * @return the number of draws it took
   */
  static int roundInto(
      double[] values, double scale, int[] out, double squaredNormBound, AesCtrDrbg random) {
    boolean conditional = squaredNormBound != Double.POSITIVE_INFINITY;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // Under a finite bound the caller guarantees |rounded| <= 2^25, so the sum fits a long.
      long squaredNorm = 0;
      for (int i = 0; i < values.length; i++) {
        double v = values[i] * scale;
        double floor = Math.floor(v);
        long rounded = (long) floor + (random.nextOpenUnitDouble() < v - floor ? 1 : 0);
        out[i] = (int) rounded;
        squaredNorm += rounded * rounded;
      }
      if (!conditional || squaredNorm <= squaredNormBound) {
        return attempt;
      }
    }
    throw new IllegalStateException(
        "conditional rounding failed "
            + MAX_ATTEMPTS
            + " times: the input is longer than the plan's clip norm");
  }
}
