package org.cohort.site.round;

import org.cohort.privacy.noise.L2Clipping;

/**
 * Scales the whole update down to an L2 norm of at most {@code maxNorm} (per-update clipping, the
 * bound that differential-privacy noise is calibrated to). Unlike secure aggregation's quantizer,
 * which clips each coordinate, it keeps the update's direction.
 */
public record L2Clip(double maxNorm) implements UpdateTransform {

  public L2Clip {
    if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
      throw new IllegalArgumentException(
          "the clip norm must be positive and finite, got " + maxNorm);
    }
  }

  @Override
  public void apply(float[] update) {
    L2Clipping.clipInPlace(update, maxNorm);
  }
}
