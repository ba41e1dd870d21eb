package org.cohort.crypto.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * t-out-of-n Shamir secret sharing over a prime field. Production secrets are 256-bit seeds and
 * X25519 private keys, shared over GF(2^256 + 297), the smallest prime above 2^256, so every
 * 32-byte string is a field element. Any t shares determine the degree t−1 polynomial; any t−1
 * shares are uniformly distributed whatever the secret (ShamirSchemeTest enumerates this on small
 * fields).
 */
public final class ShamirScheme {
  static final BigInteger SEED_FIELD = BigInteger.ONE.shiftLeft(256).add(BigInteger.valueOf(297));

  /** Bytes of a y coordinate in GF(2^256 + 297). */
  static final int SEED_SHARE_BYTES = 33;

  static final int SEED_BYTES = 32;

  private final BigInteger prime;
  private final int threshold;

  ShamirScheme(BigInteger prime, int threshold) {
    if (threshold < 1) {
      throw new SecAggException.InvalidParameters("threshold must be >= 1, got " + threshold);
    }
    this.prime = prime;
    this.threshold = threshold;
  }

  /** Sharing of 32-byte secrets with reconstruction threshold {@code threshold}. */
  public static ShamirScheme forSeeds(int threshold) {
    return new ShamirScheme(SEED_FIELD, threshold);
  }

  public int threshold() {
    return threshold;
  }

  /** Shares a 32-byte secret to holders at the given x coordinates (distinct, 1..p−1). */
  public ShamirShare[] shareSeed(byte[] secret, int[] xs, SecureRandom random) {
    if (secret.length != SEED_BYTES) {
      throw new SecAggException.InvalidParameters("secret must be 32 bytes");
    }
    return share(new BigInteger(1, secret), xs, random);
  }

  public byte[] reconstructSeed(List<ShamirShare> shares) {
    return toSeedBytes(reconstruct(shares));
  }

  ShamirShare[] share(BigInteger secret, int[] xs, SecureRandom random) {
    BigInteger[] coefficients = new BigInteger[threshold];
    coefficients[0] = secret;
    for (int i = 1; i < threshold; i++) {
      // 64 extra bits make the reduction's bias at most 2^-64.
      coefficients[i] = new BigInteger(prime.bitLength() + 64, random).mod(prime);
    }
    return shareWithCoefficients(coefficients, xs);
  }

  /** Evaluates the polynomial with the given coefficients (constant term = secret) at each x. */
  ShamirShare[] shareWithCoefficients(BigInteger[] coefficients, int[] xs) {
    if (coefficients.length != threshold
        || coefficients[0].signum() < 0
        || coefficients[0].compareTo(prime) >= 0) {
      throw new SecAggException.InvalidParameters("secret must be a field element");
    }
    if (xs.length < threshold) {
      throw new SecAggException.InvalidParameters(
          "cannot share among " + xs.length + " holders with threshold " + threshold);
    }
    requireDistinctPoints(xs);
    ShamirShare[] shares = new ShamirShare[xs.length];
    for (int i = 0; i < xs.length; i++) {
      BigInteger x = BigInteger.valueOf(xs[i]);
      BigInteger y = BigInteger.ZERO;
      for (int c = threshold - 1; c >= 0; c--) {
        y = y.multiply(x).add(coefficients[c]).mod(prime);
      }
      shares[i] = new ShamirShare(xs[i], y);
    }
    return shares;
  }

  /** Lagrange interpolation at 0 from the first {@code threshold} shares. */
  public BigInteger reconstruct(List<ShamirShare> shares) {
    if (shares.size() < threshold) {
      throw new SecAggException.RoundAbandoned(
          "need " + threshold + " shares to reconstruct, have " + shares.size());
    }
    int[] xs = new int[threshold];
    for (int i = 0; i < threshold; i++) {
      xs[i] = shares.get(i).x();
    }
    BigInteger[] lagrange = lagrangeAtZero(xs);
    BigInteger secret = BigInteger.ZERO;
    for (int i = 0; i < threshold; i++) {
      secret = secret.add(shares.get(i).y().multiply(lagrange[i]));
    }
    return secret.mod(prime);
  }

  /**
   * Coefficients λ_i with f(0) = Σ λ_i f(x_i) for any polynomial of degree < xs.length: λ_i =
   * Π_{j≠i} x_j / Π_{j≠i} (x_j − x_i). Numerators and denominators are products of small integers,
   * formed exactly and inverted together with one modular inversion (Montgomery's trick).
   */
  BigInteger[] lagrangeAtZero(int[] xs) {
    requireDistinctPoints(xs);
    int count = xs.length;
    BigInteger allPoints = BigInteger.ONE;
    for (int x : xs) {
      allPoints = allPoints.multiply(BigInteger.valueOf(x));
    }
    BigInteger[] numerators = new BigInteger[count];
    BigInteger[] denominators = new BigInteger[count];
    for (int i = 0; i < count; i++) {
      numerators[i] = allPoints.divide(BigInteger.valueOf(xs[i])).mod(prime);
      BigInteger denominator = BigInteger.ONE;
      for (int j = 0; j < count; j++) {
        if (j != i) {
          denominator = denominator.multiply(BigInteger.valueOf((long) xs[j] - xs[i]));
        }
      }
      denominators[i] = denominator.mod(prime);
    }
    BigInteger[] prefix = new BigInteger[count + 1];
    prefix[0] = BigInteger.ONE;
    for (int i = 0; i < count; i++) {
      prefix[i + 1] = prefix[i].multiply(denominators[i]).mod(prime);
    }
    BigInteger inverse = prefix[count].modInverse(prime);
    BigInteger[] lagrange = new BigInteger[count];
    for (int i = count - 1; i >= 0; i--) {
      BigInteger denominatorInverse = inverse.multiply(prefix[i]).mod(prime);
      inverse = inverse.multiply(denominators[i]).mod(prime);
      lagrange[i] = numerators[i].multiply(denominatorInverse).mod(prime);
    }
    return lagrange;
  }

  private void requireDistinctPoints(int[] xs) {
    int[] sorted = xs.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      if (sorted[i] <= 0 || BigInteger.valueOf(sorted[i]).compareTo(prime) >= 0) {
        throw new SecAggException.InvalidParameters("share points must lie in 1..p-1");
      }
      if (i > 0 && sorted[i] == sorted[i - 1]) {
        throw new SecAggException.InvalidParameters("share points must be distinct");
      }
    }
  }

  /** A reconstructed seed as 32 bytes; a value ≥ 2^256 means the shares were inconsistent. */
  static byte[] toSeedBytes(BigInteger value) {
    if (value.bitLength() > SEED_BYTES * 8) {
      throw new SecAggException.ProtocolViolation(
          "shares reconstruct to a value that is not a 32-byte seed");
    }
    return fixedWidth(value, SEED_BYTES);
  }

  static byte[] fixedWidth(BigInteger value, int width) {
    byte[] magnitude = value.toByteArray();
    byte[] out = new byte[width];
    int copy = Math.min(magnitude.length, width);
    System.arraycopy(magnitude, magnitude.length - copy, out, width - copy, copy);
    return out;
  }
}
