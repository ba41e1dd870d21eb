package org.cohort.privacy.noise;

import java.math.BigInteger;

/**
 * Exact sampler of the discrete Gaussian N_Z(0, σ²), P[X = x] ∝ exp(-x²/(2σ²)) on the integers, by
 * Canonne, Kamath, Steinke (NeurIPS 2020, "The Discrete Gaussian for Differential Privacy",
 * Algorithms 1–3): a discrete Laplace proposal with scale t = floor(σ) + 1, accepted with
 * probability exp(-(|Y| - σ²/t)² / (2σ²)); every Bernoulli(exp(-γ)) is drawn exactly from rational
 * γ with integer arithmetic, so no floating-point rounding touches the distribution.
 *
 * <p>σ² is a rational number num/den. Uniform integers come from {@link AesCtrDrbg}. Cost is a
 * small constant number of loop iterations per sample (independent of σ), in long arithmetic while
 * the numbers fit and BigInteger beyond: a few microseconds per sample (see the JMH benchmark);
 * {@link DiscreteGaussianTable} is the fast path for bulk noise with σ up to 2^14.
 */
public final class DiscreteGaussianSampler {

  private final AesCtrDrbg random;
  private final BigInteger sigmaSquaredNumerator;
  private final BigInteger sigmaSquaredDenominator;
  private final long laplaceScale;

  /** 2 · num · den · t², the denominator of the acceptance exponent. */
  private final BigInteger acceptanceDenominator;

  /** den · t. */
  private final BigInteger denominatorTimesScale;

  /** Discrete Gaussian with σ² = num / den (both positive). */
  public DiscreteGaussianSampler(
      AesCtrDrbg random, long sigmaSquaredNumerator, long sigmaSquaredDenominator) {
    if (sigmaSquaredNumerator <= 0 || sigmaSquaredDenominator <= 0) {
      throw new IllegalArgumentException(
          "sigma^2 must be a positive fraction, got "
              + sigmaSquaredNumerator
              + "/"
              + sigmaSquaredDenominator);
    }
    this.random = random;
    this.sigmaSquaredNumerator = BigInteger.valueOf(sigmaSquaredNumerator);
    this.sigmaSquaredDenominator = BigInteger.valueOf(sigmaSquaredDenominator);
    // floor(sqrt(a/b)) = floor(sqrt(floor(a/b))).
    BigInteger floorSigma = this.sigmaSquaredNumerator.divide(this.sigmaSquaredDenominator).sqrt();
    this.laplaceScale = floorSigma.longValueExact() + 1;
    BigInteger t = BigInteger.valueOf(laplaceScale);
    this.acceptanceDenominator =
        BigInteger.TWO
            .multiply(this.sigmaSquaredNumerator)
            .multiply(this.sigmaSquaredDenominator)
            .multiply(t)
            .multiply(t);
    this.denominatorTimesScale = this.sigmaSquaredDenominator.multiply(t);
  }

  /** Discrete Gaussian with integer variance parameter σ². */
  public static DiscreteGaussianSampler withSigmaSquared(AesCtrDrbg random, long sigmaSquared) {
    return new DiscreteGaussianSampler(random, sigmaSquared, 1);
  }

  public long sample() {
    while (true) {
      long y = discreteLaplace(laplaceScale);
      // (|y| - σ²/t)² / (2σ²) = (|y|·den·t - num)² / (2·num·den·t²)
      BigInteger difference =
          BigInteger.valueOf(Math.abs(y))
              .multiply(denominatorTimesScale)
              .subtract(sigmaSquaredNumerator);
      if (bernoulliExpMinus(difference.multiply(difference), acceptanceDenominator)) {
        return y;
      }
    }
  }

  /** Fills {@code out} with independent samples. */
  public void sample(long[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = sample();
    }
  }

  /** CKS Algorithm 2 with s = 1: P[X = x] ∝ exp(-|x|/t). */
  private long discreteLaplace(long t) {
    while (true) {
      long u = random.nextLongBelow(t);
      if (!bernoulliExpMinus(u, t)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpMinus(1, 1)) {
        v++;
      }
      long x = Math.addExact(u, Math.multiplyExact(t, v));
      boolean negative = random.nextLongBelow(2) == 1;
      if (negative && x == 0) {
        continue;
      }
      return negative ? -x : x;
    }
  }

  /**
   * CKS Algorithm 1: Bernoulli(exp(-n/d)) for n >= 0, d > 0, exactly; long arithmetic when it fits.
   */
  private boolean bernoulliExpMinus(BigInteger n, BigInteger d) {
    // With d < 2^40, d·K overflows only for K > 2^23, which has probability below 1/(2^23)!.
    if (n.bitLength() < 63 && d.bitLength() < 40) {
      return bernoulliExpMinus(n.longValue(), d.longValue());
    }
    BigInteger remaining = n;
    while (remaining.compareTo(d) > 0) {
      if (!bernoulliExpMinus(1, 1)) {
        return false;
      }
      remaining = remaining.subtract(d);
    }
    long k = 1;
    while (random.nextBigIntegerBelow(d.multiply(BigInteger.valueOf(k))).compareTo(remaining) < 0) {
      k++;
    }
    return (k & 1) == 1;
  }

  private boolean bernoulliExpMinus(long n, long d) {
    long remaining = n;
    while (remaining > d) {
      if (!bernoulliExpMinusAtMostOne(1, 1)) {
        return false;
      }
      remaining -= d;
    }
    return bernoulliExpMinusAtMostOne(remaining, d);
  }

  /**
   * Bernoulli(exp(-γ)) for γ = n/d in [0, 1]: the parity of the first K with Bernoulli(γ/K) = 0
   * (each Bernoulli(n/(dK)) is an exact uniform-integer comparison).
   */
  private boolean bernoulliExpMinusAtMostOne(long n, long d) {
    long k = 1;
    while (random.nextLongBelow(Math.multiplyExact(d, k)) < n) {
      k++;
    }
    return (k & 1) == 1;
  }
}
