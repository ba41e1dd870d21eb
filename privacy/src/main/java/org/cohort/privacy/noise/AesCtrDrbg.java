package org.cohort.privacy.noise;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Fast cryptographically secure bit source for bulk noise: the AES-256-CTR keystream under a key
 * and counter drawn from {@link SecureRandom}. AES in counter mode is a pseudorandom function, so
 * its output is computationally indistinguishable from uniform bits for anyone without the key (the
 * construction of NIST SP 800-90A CTR_DRBG, without reseeding); the JDK's AES-NI implementation
 * makes it gigabytes per second, where calling SecureRandom per value would cost a lock and a DRBG
 * invocation each time. The key never leaves this object; use a fresh instance per noise release
 * (it is cheap) and do not share one between threads.
 *
 * <p>{@link #seeded(byte[])} is for tests and reproducible simulations only: noise that protects
 * real data must come from {@link #create()}.
 */
public final class AesCtrDrbg {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final int BUFFER_BYTES = 16 * 1024;
  private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

  private final Cipher cipher;
  private final byte[] zeros = new byte[BUFFER_BYTES];
  private final byte[] keystream = new byte[BUFFER_BYTES];
  private int position = BUFFER_BYTES;

  private AesCtrDrbg(byte[] keyAndIv) {
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(keyAndIv, 0, 32, "AES"),
          new IvParameterSpec(keyAndIv, 32, 16));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR is unavailable in this JDK", e);
    } finally {
      java.util.Arrays.fill(keyAndIv, (byte) 0);
    }
  }

  /** A generator keyed from the platform's SecureRandom. */
  public static AesCtrDrbg create() {
    byte[] keyAndIv = new byte[48];
    new SecureRandom().nextBytes(keyAndIv);
    return new AesCtrDrbg(keyAndIv);
  }

  /** A reproducible generator from a 48-byte seed (key || counter). Tests and simulations only. */
  public static AesCtrDrbg seeded(byte[] seed) {
    if (seed.length != 48) {
      throw new IllegalArgumentException("seed must be 48 bytes, got " + seed.length);
    }
    return new AesCtrDrbg(seed.clone());
  }

  /** A reproducible generator derived from a small integer seed. Tests and simulations only. */
  public static AesCtrDrbg seeded(long seed) {
    byte[] bytes = new byte[48];
    LONGS.set(bytes, 0, seed);
    return new AesCtrDrbg(bytes);
  }

  /** 64 uniform bits. */
  public long nextLong() {
    if (position == BUFFER_BYTES) {
      refill();
    }
    long value = (long) LONGS.get(keystream, position);
    position += 8;
    return value;
  }

  private void refill() {
    try {
      cipher.update(zeros, 0, BUFFER_BYTES, keystream, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR keystream failed", e);
    }
    position = 0;
  }

  /** Uniform on {0, ..., bound - 1}, without modulo bias (rejection sampling). */
  public long nextLongBelow(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive, got " + bound);
    }
    long mask = -1L >>> Long.numberOfLeadingZeros(bound - 1 | 1);
    while (true) {
      long candidate = nextLong() & mask;
      if (candidate < bound) {
        return candidate;
      }
    }
  }

  /** Uniform on {0, ..., bound - 1} for an arbitrary positive bound (rejection sampling). */
  public BigInteger nextBigIntegerBelow(BigInteger bound) {
    if (bound.bitLength() < 63) {
      return BigInteger.valueOf(nextLongBelow(bound.longValueExact()));
    }
    int bits = bound.bitLength();
    byte[] bytes = new byte[(bits + 7) / 8];
    while (true) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) nextLong();
      }
      BigInteger candidate = new BigInteger(1, bytes).shiftRight(bytes.length * 8 - bits);
      if (candidate.compareTo(bound) < 0) {
        return candidate;
      }
    }
  }

  /** Uniform on the 2^53 midpoints (k + 1/2) 2^-53: never 0 or 1. */
  public double nextOpenUnitDouble() {
    return ((nextLong() >>> 11) + 0.5) * TWO_POW_MINUS_53;
  }
}
