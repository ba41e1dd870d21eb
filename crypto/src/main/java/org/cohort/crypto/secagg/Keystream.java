package org.cohort.crypto.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.stream.IntStream;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mask PRG: AES-256-CTR (JDK SunJCE, AES-NI) keyed by a 32-byte seed with a zero counter block.
 * Each seed is used for one stream only (seeds are fresh or HKDF-bound to round and pair), so the
 * fixed IV is safe. Keystream is produced in 32 KiB chunks, which keeps the intrinsic on its fast
 * path and the working set in cache, and is added straight into the caller's int[]. Many masks are
 * applied by slicing the vector across cores: the counter is seekable, so each slice expands only
 * its own part of every stream.
 */
final class Keystream {
  static final int CHUNK_BYTES = 32 * 1024;
  static final int CHUNK_WORDS = CHUNK_BYTES / 4;

  /** CTR encrypts this all-zero input, so the output is the raw keystream. Never written. */
  private static final byte[] ZEROS = new byte[CHUNK_BYTES];

  private final Cipher cipher;
  private final byte[] bytes = new byte[CHUNK_BYTES];
  private final IntBuffer wordView =
      ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).asIntBuffer();

  /** A mask to add: sign · PRG(seed), sign ∈ {+1, −1}. */
  record Mask(byte[] seed, int sign) {}

  Keystream(byte[] seed) {
    this(seed, 0);
  }

  /**
   * The stream from 32-bit word {@code firstWord} on (a multiple of 4: one AES block is 4 words).
   */
  private Keystream(byte[] seed, int firstWord) {
    if (seed.length != SecAggKdf.KEY_BYTES) {
      throw new SecAggException.InvalidParameters("PRG seed must be 32 bytes");
    }
    byte[] counterBlock = new byte[16];
    int block = firstWord / 4;
    counterBlock[12] = (byte) (block >>> 24);
    counterBlock[13] = (byte) (block >>> 16);
    counterBlock[14] = (byte) (block >>> 8);
    counterBlock[15] = (byte) block;
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(counterBlock));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks AES/CTR", e);
    }
  }

  /** Fills {@code out[0..count)} with the next keystream words; count ≤ CHUNK_WORDS. */
  void next(int[] out, int count) {
    try {
      cipher.update(ZEROS, 0, count * 4, bytes, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR failed", e);
    }
    wordView.get(0, out, 0, count);
  }

  /** acc += sign · PRG(seed) element-wise mod 2^32, sign ∈ {+1, −1}. */
  static void addMask(byte[] seed, int[] acc, int sign) {
    addMask(seed, acc, sign, 0, acc.length, new int[CHUNK_WORDS]);
  }

  /**
   * Adds all masks to acc, in parallel over slices of acc (common ForkJoinPool; callers keep this
   * off I/O threads). Each slice walks all masks, so its part of acc stays in cache.
   */
  static void addMasks(List<Mask> masks, int[] acc) {
    int chunks = (acc.length + CHUNK_WORDS - 1) / CHUNK_WORDS;
    int slices = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), chunks));
    int chunksPerSlice = (chunks + slices - 1) / slices;
    IntStream.range(0, slices)
        .parallel()
        .forEach(
            slice -> {
              int from = Math.min(acc.length, slice * chunksPerSlice * CHUNK_WORDS);
              int to = Math.min(acc.length, from + chunksPerSlice * CHUNK_WORDS);
              int[] words = new int[CHUNK_WORDS];
              for (Mask mask : masks) {
                addMask(mask.seed(), acc, mask.sign(), from, to, words);
              }
            });
  }

  private static void addMask(byte[] seed, int[] acc, int sign, int from, int to, int[] words) {
    if (from >= to) {
      return;
    }
    Keystream stream = new Keystream(seed, from);
    for (int start = from; start < to; start += CHUNK_WORDS) {
      int count = Math.min(CHUNK_WORDS, to - start);
      stream.next(words, count);
      if (sign > 0) {
        for (int i = 0; i < count; i++) {
          acc[start + i] += words[i];
        }
      } else {
        for (int i = 0; i < count; i++) {
          acc[start + i] -= words[i];
        }
      }
    }
  }
}
