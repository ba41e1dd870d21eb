package org.cohort.privacy.noise;

/** L2 clipping of a flat parameter (or update) vector, in place. */
public final class L2Clipping {

  private L2Clipping() {}

  /** The Euclidean norm, accumulated in double. */
  public static double norm(float[] values) {
    double sum = 0;
    for (float v : values) {
      sum += (double) v * v;
    }
    return Math.sqrt(sum);
  }

  /**
   * Scales {@code values} so that its L2 norm is at most {@code clipNorm} and returns the norm
   * before clipping (for adaptive clipping, e.g. Andrew et al. 2021, which tracks the fraction of
   * updates whose norm stays under the bound).
   */
  public static double clipInPlace(float[] values, double clipNorm) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be > 0 and finite, got " + clipNorm);
    }
    double norm = norm(values);
    if (!Double.isFinite(norm)) {
      throw new IllegalArgumentException("vector has a non-finite entry; refusing to clip it");
    }
    if (norm > clipNorm) {
      // Shrink by 2^-22 more than needed: the float rounding of the scale and of each product
      // (2^-24 relative each) can then never push the clipped norm above the bound.
      float scale = (float) (clipNorm / norm * (1 - 0x1.0p-22));
      for (int i = 0; i < values.length; i++) {
        values[i] *= scale;
      }
    }
    return norm;
  }
}
