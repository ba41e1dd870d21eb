package org.cohort.crypto.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mask PRG: AES-256-CTR (JDK SunJCE, AES-NI) keyed by a 32-byte seed with a zero counter
 * block. Each seed is used for one stream only (seeds are fresh or HKDF-bound to round and pair),
 * so the fixed IV is safe. Keystream is produced in 32 KiB chunks, which keeps the intrinsic on its
 * fast path and the working set in cache, and is added straight into the caller's int[].
 */
final class Keystream {
  static final int CHUNK_BYTES = 32 * 1024;
  static final int CHUNK_WORDS = CHUNK_BYTES / 4;
  /** CTR encrypts this all-zero input, so the output is the raw keystream. Never written. */
  private static final byte[] ZEROS = new byte[CHUNK_BYTES];

  private final Cipher cipher;
  private final byte[] bytes = new byte[CHUNK_BYTES];
  private final IntBuffer wordView = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).asIntBuffer();

  Keystream(byte[] seed) {
    if (seed.length != SecAggKdf.KEY_BYTES) {
      throw new SecAggException.InvalidParameters("PRG seed must be 32 bytes");
    }
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
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
    Keystream stream = new Keystream(seed);
    int[] words = new int[CHUNK_WORDS];
    for (int start = 0; start < acc.length; start += CHUNK_WORDS) {
      int count = Math.min(CHUNK_WORDS, acc.length - start);
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
