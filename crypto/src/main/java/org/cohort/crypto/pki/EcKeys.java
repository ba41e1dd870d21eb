package org.cohort.crypto.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * ECDSA P-256 keys of the CA and of TLS leaves, from the JDK provider (both TLS providers accept
 * them).
 */
final class EcKeys {
  static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private EcKeys() {}

  static KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new PkiException("P-256 key generation is unavailable", e);
    }
  }

  /** Proves by a signature on a random challenge that the private key belongs to the public key. */
  static void requireMatch(PrivateKey privateKey, PublicKey publicKey, String what) {
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new PkiException(what + ": private key does not match its certificate");
      }
    } catch (GeneralSecurityException e) {
      throw new PkiException(what + ": not a usable ECDSA P-256 key", e);
    }
  }
}
