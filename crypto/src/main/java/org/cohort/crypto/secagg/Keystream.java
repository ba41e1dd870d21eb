package org.cohort.crypto.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mask PRG: AES-256-CTR (JDK SunJCE, AES-NI) keyed by a 32-byte seed with a zero counter block.
 * Each seed is used for one stream only (seeds are fresh or HKDF-bound to round and pair), so the
 * fixed IV is safe. Keystream is produced in 32 KiB chunks, which keeps the intrinsic on its fast
 * path and the working set in cache, and is added straight into the caller's int[].
 *
 * <p>Many masks are applied in one pass over the vector, on the calling thread: for each 32 KiB of
 * the vector, every mask's keystream for that part is added while it is in cache. Expanding masks
 * runs at several GB/s per core this way, faster than memory can stream the vector once per mask. A
 * parallel stream over the common pool is deliberately not used: the pool has one worker on two
 * cores, and many sites (or a coordinator's event loops) calling at once left their threads
 * spinning in ForkJoinPool.helpComplete for that one worker (JFR, docs/benchmarks.md).
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
    if (seed.length != SecAggKdf.KEY_BYTES) {
      throw new SecAggException.InvalidParameters("PRG seed must be 32 bytes");
    }
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
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
    addMasks(List.of(new Mask(seed, sign)), acc);
  }

  /** acc += Σ sign · PRG(seed) over all masks, element-wise mod 2^32, in one pass over acc. */
  static void addMasks(List<Mask> masks, int[] acc) {
    Keystream[] streams = new Keystream[masks.size()];
    for (int m = 0; m < streams.length; m++) {
      streams[m] = new Keystream(masks.get(m).seed());
    }
    int[] words = new int[CHUNK_WORDS];
    for (int start = 0; start < acc.length; start += CHUNK_WORDS) {
      int count = Math.min(CHUNK_WORDS, acc.length - start);
      for (int m = 0; m < streams.length; m++) {
        streams[m].next(words, count);
        add(acc, start, words, count, masks.get(m).sign());
      }
    }
  }

  /** acc[start..start+count) += sign · words[0..count), mod 2^32: two loops C2 vectorises. */
  private static void add(int[] acc, int start, int[] words, int count, int sign) {
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
