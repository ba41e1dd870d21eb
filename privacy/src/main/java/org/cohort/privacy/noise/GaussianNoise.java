package org.cohort.privacy.noise;

/**
 * Continuous Gaussian noise for float vectors, hardened against floating-point attacks.
 *
 * <p>Mironov (CCS 2012) showed that textbook samplers leak the input through the low-order bits of
 * x + noise: the set of doubles a floating-point sum can produce depends on x. Here every output is
 * a multiple of a data-independent power-of-two grid g = 2^(floor(log2 σ) - 24) (about σ/2^24): the
 * input is first rounded to the grid, the noise is rounded to the grid, and their sum is exact in
 * double precision, so nothing below the grid survives. The result is the Gaussian mechanism on the
 * rounded input followed by rounding (post-processing), so its privacy is that of the Gaussian
 * mechanism with L2 sensitivity raised by at most {@link #sensitivityInflation} (g/2 per
 * coordinate), which callers add to their clip norm. The final cast to float is post-processing.
 *
 * <p>Sampling: Marsaglia's polar method on uniforms from {@link AesCtrDrbg} (AES-256-CTR keyed by
 * SecureRandom; never java.util.Random). The uniforms have 53-bit resolution, so the squared radius
 * s = u² + v² has relative resolution better than 1e-9 while the output is within 10σ; beyond about
 * 11σ (probability below 1e-27) the attainable outputs thin out. The remaining deviation from the
 * ideal rounded Gaussian is the few-ulp error of log/sqrt (about 2^-50 σ): it can move only about a
 * 2^-26 fraction of a grid cell's mass to a neighbouring cell.
 */
public final class GaussianNoise {

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
    double[] pair = new double[2];
    for (int i = 0; i < values.length; i += 2) {
      standardPair(pair, scale);
      values[i] = onGrid(values[i], grid, pair[0]);
      if (i + 1 < values.length) {
        values[i + 1] = onGrid(values[i + 1], grid, pair[1]);
      }
    }
  }

  /** Fills {@code out} with N(0, stdDev²) samples on the grid (the noise alone). */
  public void sample(double[] out, double stdDev) {
    double grid = gridSpacing(stdDev);
    double scale = stdDev / grid;
    double[] pair = new double[2];
    for (int i = 0; i < out.length; i += 2) {
      standardPair(pair, scale);
      out[i] = Math.rint(pair[0]) * grid;
      if (i + 1 < out.length) {
        out[i + 1] = Math.rint(pair[1]) * grid;
      }
    }
  }

  /** Two independent N(0, scale²) values (Marsaglia polar method). */
  private void standardPair(double[] pair, double scale) {
    double u;
    double v;
    double s;
    do {
      u = 2 * random.nextOpenUnitDouble() - 1;
      v = 2 * random.nextOpenUnitDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double factor = Math.sqrt(-2 * Math.log(s) / s) * scale;
    pair[0] = u * factor;
    pair[1] = v * factor;
  }

  private static float onGrid(float value, double grid, double noiseInGridUnits) {
    return (float) ((Math.rint(value / grid) + Math.rint(noiseInGridUnits)) * grid);
  }

  private static void checkStdDev(double stdDev) {
    if (!(stdDev > 0) || Double.isInfinite(stdDev)) {
      throw new IllegalArgumentException(
          "noise standard deviation must be > 0 and finite, got " + stdDev);
    }
  }
}
