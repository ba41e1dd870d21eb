package org.cohort.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** AES-256-GCM (JDK) for shares in transit: sealed = nonce(12) ‖ ciphertext ‖ tag(16). */
final class ShareCipher {
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;

  private ShareCipher() {}

  static byte[] seal(byte[] key, byte[] plaintext, byte[] associatedData, SecureRandom random) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealed = new byte[NONCE_BYTES + plaintext.length + TAG_BYTES];
      System.arraycopy(nonce, 0, sealed, 0, NONCE_BYTES);
      cipher.doFinal(plaintext, 0, plaintext.length, sealed, NONCE_BYTES);
      return sealed;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks AES/GCM", e);
    }
  }

  static byte[] open(byte[] key, byte[] sealed, byte[] associatedData) {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new SecAggException.ShareDecryptionFailed("encrypted share is too short");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BYTES * 8, Arrays.copyOf(sealed, NONCE_BYTES)));
      cipher.updateAAD(associatedData);
      return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new SecAggException.ShareDecryptionFailed("encrypted share failed authentication");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks AES/GCM", e);
    }
  }
}
