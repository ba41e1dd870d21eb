package org.cohort.privacy.distributed;

import org.cohort.privacy.noise.AesCtrDrbg;

/**
 * The randomized Walsh–Hadamard rotation x ↦ (1/√d') H D x of Kairouz, Liu, Steinke (ICML 2021,
 * "The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation",
 * Section 4.2): D is a diagonal of random signs, H the d'×d' Hadamard matrix, d' a power of two.
 * The rotation is orthogonal, so it keeps the L2 norm, and it spreads any vector's mass evenly over
 * the coordinates (each becomes sub-Gaussian with variance about ‖x‖²/d'), which is what lets a
 * small modulus hold the integer sum without wrapping.
 *
 * <p>The signs come from a public per-round seed fed to {@link AesCtrDrbg#seeded(byte[])}: every
 * site and the coordinator derive the same D, so the coordinator can invert the rotation. The seed
 * protects nothing secret (the privacy comes from the noise); it only has to be the same everywhere
 * and fresh per round. Both directions work in place in O(d' log d') and allocate nothing per
 * coordinate; the inverse is exact up to floating-point rounding (a few ulps times log2 d').
 */
public final class RandomizedHadamard {

  /** Bytes of the rotation seed: an AES-256 key and a 128-bit counter. */
  public static final int SEED_BYTES = 48;

  /** Largest padded length: the int-indexed arrays of the pipeline. */
  public static final int MAX_PADDED_DIMENSION = 1 << 30;

  private RandomizedHadamard() {}

  /** The smallest power of two that is at least {@code dimension}. */
  public static int paddedDimension(int dimension) {
    if (dimension < 1 || dimension > MAX_PADDED_DIMENSION) {
      throw new IllegalArgumentException("dimension must be in [1, 2^30], got " + dimension);
    }
    return dimension == 1 ? 1 : Integer.highestOneBit(dimension - 1) << 1;
  }

  /** x ← (1/√d') H D x, for x of power-of-two length d'. */
  public static void rotate(double[] x, byte[] seed) {
    applySigns(x, seed);
    transform(x);
  }

  /** x ← D (1/√d') H x, the inverse of {@link #rotate(double[], byte[])}. */
  public static void unrotate(double[] x, byte[] seed) {
    transform(x);
    applySigns(x, seed);
  }

  /** x ← (1/√d') H D x in float arithmetic. */
  public static void rotate(float[] x, byte[] seed) {
    applySigns(x, seed);
    transform(x);
  }

  /** The inverse of {@link #rotate(float[], byte[])} in float arithmetic. */
  public static void unrotate(float[] x, byte[] seed) {
    transform(x);
    applySigns(x, seed);
  }

  private static AesCtrDrbg signSource(int length, byte[] seed) {
    if (Integer.bitCount(length) != 1) {
      throw new IllegalArgumentException(
          "the Hadamard transform needs a power-of-two length, got " + length);
    }
    if (seed.length != SEED_BYTES) {
      throw new IllegalArgumentException(
          "rotation seed must be " + SEED_BYTES + " bytes, got " + seed.length);
    }
    return AesCtrDrbg.seeded(seed);
  }

  /** Coordinate i is negated when bit (i mod 64) of the (i / 64)-th keystream word is set. */
  private static void applySigns(double[] x, byte[] seed) {
    AesCtrDrbg signs = signSource(x.length, seed);
    long word = 0;
    for (int i = 0; i < x.length; i++) {
      if ((i & 63) == 0) {
        word = signs.nextLong();
      }
      if ((word >>> (i & 63) & 1) != 0) {
        x[i] = -x[i];
      }
    }
  }

  private static void applySigns(float[] x, byte[] seed) {
    AesCtrDrbg signs = signSource(x.length, seed);
    long word = 0;
    for (int i = 0; i < x.length; i++) {
      if ((i & 63) == 0) {
        word = signs.nextLong();
      }
      if ((word >>> (i & 63) & 1) != 0) {
        x[i] = -x[i];
      }
    }
  }

  /** Normalised fast Walsh–Hadamard transform, in place; it is its own inverse. */
  private static void transform(double[] x) {
    int n = x.length;
    for (int half = 1; half < n; half <<= 1) {
      for (int block = 0; block < n; block += half << 1) {
        for (int i = block; i < block + half; i++) {
          double a = x[i];
          double b = x[i + half];
          x[i] = a + b;
          x[i + half] = a - b;
        }
      }
    }
    double scale = 1 / Math.sqrt(n);
    for (int i = 0; i < n; i++) {
      x[i] *= scale;
    }
  }

  private static void transform(float[] x) {
    int n = x.length;
    for (int half = 1; half < n; half <<= 1) {
      for (int block = 0; block < n; block += half << 1) {
        for (int i = block; i < block + half; i++) {
          float a = x[i];
          float b = x[i + half];
          x[i] = a + b;
          x[i + half] = a - b;
        }
      }
    }
    float scale = (float) (1 / Math.sqrt(n));
    for (int i = 0; i < n; i++) {
      x[i] *= scale;
    }
  }
}
