package org.cohort.privacy.noise;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * Fast sampler of the discrete Gaussian N_Z(0, σ²) for bulk integer noise (distributed DP), by
 * inversion of a 128-bit fixed-point CDF table driven by the AES-CTR generator.
 *
 * <p>Security argument. The table holds P[X <= k] for |k| <= K = ceil(13.5σ) + 1, computed in
 * 60-digit decimal arithmetic and truncated to 128 bits, so every cell probability of the sampled
 * law is within 2^-127 of the exact one, and the mass beyond ±K (below e^-91 < 2^-131) is moved to
 * the end cells. Inverting the CDF with 128 uniform bits is exact for the table, so the statistical
 * distance between one output and N_Z(0, σ²) is below (2K + 2)·2^-127 (about 2^-109 for σ = 4096).
 * Adding it to the mechanism's δ per coordinate, even 10^9 coordinates cost less than 2^-79 of δ.
 * The uniform bits are AES-256-CTR under a SecureRandom key (see {@link AesCtrDrbg}),
 * computationally indistinguishable from true randomness. The binary search always takes the same
 * number of steps; its memory accesses do depend on the sample, which matters only to an attacker
 * who shares the CPU cache with the site.
 *
 * <p>Setup costs O(K) high-precision multiplications (tens of milliseconds for σ = 1000), the table
 * 32K bytes; σ is limited to {@link #MAX_SIGMA}. For larger σ use {@link DiscreteGaussianSampler}.
 */
public final class DiscreteGaussianTable {

  public static final double MAX_SIGMA = 1 << 14;
  private static final double TAIL_SIGMAS = 13.5;
  private static final MathContext PRECISION = new MathContext(60);
  private static final BigDecimal TWO_POW_128 = new BigDecimal(BigInteger.ONE.shiftLeft(128));

  private final AesCtrDrbg random;
  private final long lowest;

  /** Upper and lower 64 bits of floor(P[X <= lowest + i] · 2^128), as unsigned numbers. */
  private final long[] cdfHigh;

  private final long[] cdfLow;
  private final int searchSteps;

  public DiscreteGaussianTable(AesCtrDrbg random, double sigma) {
    if (!(sigma >= 0.5 && sigma <= MAX_SIGMA)) {
      throw new IllegalArgumentException(
          "table sampler needs sigma in [0.5, " + MAX_SIGMA + "], got " + sigma);
    }
    this.random = random;
    long k = (long) Math.ceil(TAIL_SIGMAS * sigma) + 1;
    this.lowest = -k;
    int cells = (int) (2 * k + 1);
    BigDecimal[] weights = weights(sigma, k);
    BigDecimal total = BigDecimal.ZERO;
    for (BigDecimal w : weights) {
      total = total.add(w, PRECISION);
    }
    // cells - 1 boundaries; the last cell takes whatever is left up to 2^128.
    cdfHigh = new long[cells - 1];
    cdfLow = new long[cells - 1];
    BigDecimal cumulative = BigDecimal.ZERO;
    for (int i = 0; i < cells - 1; i++) {
      cumulative = cumulative.add(weights[i], PRECISION);
      BigInteger fixed = cumulative.divide(total, PRECISION).multiply(TWO_POW_128).toBigInteger();
      cdfHigh[i] = fixed.shiftRight(64).longValue();
      cdfLow[i] = fixed.longValue();
    }
    this.searchSteps = 64 - Long.numberOfLeadingZeros(cells);
  }

  /**
   * Unnormalised weights exp(-j²/(2σ²)) for j = -k..k, by the recurrence w(j+1) = w(j) · a · c^j
   * with a = exp(-1/(2σ²)), c = a², in 60-digit arithmetic (relative error below 1e-50).
   */
  private static BigDecimal[] weights(double sigma, long k) {
    BigDecimal sigmaSquared = new BigDecimal(sigma).multiply(new BigDecimal(sigma));
    BigDecimal a =
        BigDecimal.ONE.divide(
            exp(BigDecimal.ONE.divide(sigmaSquared.multiply(BigDecimal.valueOf(2)), PRECISION)),
            PRECISION);
    BigDecimal c = a.multiply(a, PRECISION);
    int cells = (int) (2 * k + 1);
    BigDecimal[] w = new BigDecimal[cells];
    int centre = (int) k;
    w[centre] = BigDecimal.ONE;
    BigDecimal cPower = BigDecimal.ONE; // c^j
    for (int j = 0; j < k; j++) {
      w[centre + j + 1] = w[centre + j].multiply(a, PRECISION).multiply(cPower, PRECISION);
      w[centre - j - 1] = w[centre + j + 1];
      cPower = cPower.multiply(c, PRECISION);
    }
    return w;
  }

  /** exp(x) for 0 <= x <= 2 by its Taylor series (positive terms, no cancellation). */
  private static BigDecimal exp(BigDecimal x) {
    BigDecimal sum = BigDecimal.ONE;
    BigDecimal term = BigDecimal.ONE;
    BigDecimal epsilon = BigDecimal.ONE.movePointLeft(70);
    for (int n = 1; term.compareTo(epsilon) > 0; n++) {
      term = term.multiply(x, PRECISION).divide(BigDecimal.valueOf(n), PRECISION);
      sum = sum.add(term, PRECISION);
    }
    return sum;
  }

  public long sample() {
    long high = random.nextLong();
    long low = random.nextLong();
    // Smallest i with u < cdf[i]; i = cdfHigh.length means the last cell.
    int lo = 0;
    int hi = cdfHigh.length;
    for (int step = 0; step < searchSteps; step++) {
      int mid = (lo + hi) >>> 1;
      boolean below = mid < cdfHigh.length && lessThan(high, low, cdfHigh[mid], cdfLow[mid]);
      if (below) {
        hi = mid;
      } else {
        lo = Math.min(mid + 1, hi);
      }
    }
    return lowest + lo;
  }

  /** Fills {@code out} with independent samples. */
  public void sample(long[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = sample();
    }
  }

  private static boolean lessThan(long aHigh, long aLow, long bHigh, long bLow) {
    int byHigh = Long.compareUnsigned(aHigh, bHigh);
    return byHigh < 0 || (byHigh == 0 && Long.compareUnsigned(aLow, bLow) < 0);
  }
}
