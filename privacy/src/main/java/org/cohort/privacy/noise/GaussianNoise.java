package org.cohort.privacy.noise;

/**
 * Continuous Gaussian noise for float vectors, hardened against floating-point attacks.
 *
 * <p>Mironov (CCS 2012) showed that textbook samplers leak the input through the low-order bits of
 * x + noise: the set of doubles a floating-point sum can produce depends on x. Here every output is
 * a multiple of a data-independent power-of-two grid g = 2^(floor(log2 σ) - 24) (about σ/2^24): the
 * input is first rounded to the grid, the noise is rounded to the grid, and their sum is exact in
 * double precision, so nothing below the grid survives. The result is the Gaussian mechanism on
 * the rounded input followed by rounding (post-processing), so its privacy is that of the Gaussian
 * mechanism with L2 sensitivity raised by at most {@link #sensitivityInflation} (g/2 per
 * coordinate), which callers add to their clip norm. The final cast to float is post-processing.
 *
 * <p>Sampling: Box–Muller on uniforms from {@link AesCtrDrbg} (AES-256-CTR keyed by SecureRandom;
 * never java.util.Random). The radius uses {@link AesCtrDrbg#nextOpenUnitDoubleFine()} so that the
 * tails are not a coarse lattice; the remaining deviation from the ideal rounded Gaussian is the
 * few-ulp error of log/sqrt/cos (about 2^-50 σ), i.e. it can move only a 2^-26 fraction of a grid
 * cell's mass to a neighbour, and values beyond sqrt(2 ln 2^106) ≈ 12.1σ (probability < 1e-33) are
 * never produced.
 */
public final class GaussianNoise {

  private static final double TWO_PI = 2 * Math.PI;
  private static final int GRID_BITS_BELOW_SIGMA = 24;

  private final AesCtrDrbg random;

  public GaussianNoise(AesCtrDrbg random) {
    this.random = random;
  }

  /** Noise from a fresh SecureRandom-keyed generator. */
  public static GaussianNoise create() {
    return new GaussianNoise(AesCtrDrbg.create());
  }

  /** The output grid for standard deviation σ: a power of two about σ / 2^24. */
  public static double gridSpacing(double stdDev) {
    checkStdDev(stdDev);
    return Math.scalb(1.0, Math.getExponent(stdDev) - GRID_BITS_BELOW_SIGMA);
  }

  /** Upper bound on the extra L2 sensitivity from rounding a d-dimensional input to the grid. */
  public static double sensitivityInflation(double stdDev, int dimension) {
    return gridSpacing(stdDev) * Math.sqrt(dimension);
  }

  /** Adds N(0, stdDev²) noise to every entry, with input and output on the grid. */
  public void addTo(float[] values, double stdDev) {
    double grid = gridSpacing(stdDev);
    double scale = stdDev / grid;
    for (int i = 0; i < values.length; i += 2) {
      double radius = Math.sqrt(-2 * Math.log(random.nextOpenUnitDoubleFine())) * scale;
      double angle = TWO_PI * random.nextOpenUnitDouble();
      values[i] = onGrid(values[i], grid, radius * Math.cos(angle));
      if (i + 1 < values.length) {
        values[i + 1] = onGrid(values[i + 1], grid, radius * Math.sin(angle));
      }
    }
  }

  /** Fills {@code out} with N(0, stdDev²) samples on the grid (the noise alone). */
  public void sample(double[] out, double stdDev) {
    double grid = gridSpacing(stdDev);
    double scale = stdDev / grid;
    for (int i = 0; i < out.length; i += 2) {
      double radius = Math.sqrt(-2 * Math.log(random.nextOpenUnitDoubleFine())) * scale;
      double angle = TWO_PI * random.nextOpenUnitDouble();
      out[i] = Math.rint(radius * Math.cos(angle)) * grid;
      if (i + 1 < out.length) {
        out[i + 1] = Math.rint(radius * Math.sin(angle)) * grid;
      }
    }
  }

  private static float onGrid(float value, double grid, double noiseInGridUnits) {
    return (float) ((Math.rint(value / grid) + Math.rint(noiseInGridUnits)) * grid);
  }

  private static void checkStdDev(double stdDev) {
    if (!(stdDev > 0) || Double.isInfinite(stdDev)) {
      throw new IllegalArgumentException("noise standard deviation must be > 0 and finite, got " + stdDev);
    }
  }
}
