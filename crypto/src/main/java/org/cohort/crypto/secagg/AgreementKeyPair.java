package org.cohort.crypto.secagg;

import java.security.SecureRandom;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * An ephemeral X25519 key pair for one round (BouncyCastle). The private key leaves this class only
 * as a Shamir secret ({@link #privateKeyBytes()}), which the mask key is by design.
 */
final class AgreementKeyPair {
  private final X25519PrivateKeyParameters privateKey;
  private final AgreementPublicKey publicKey;

  private AgreementKeyPair(X25519PrivateKeyParameters privateKey) {
    this.privateKey = privateKey;
    this.publicKey = new AgreementPublicKey(privateKey.generatePublicKey().getEncoded());
  }

  static AgreementKeyPair generate(SecureRandom random) {
    return new AgreementKeyPair(new X25519PrivateKeyParameters(random));
  }

  /** Rebuilds a pair from a reconstructed private key (the coordinator, for dropped sites). */
  static AgreementKeyPair fromPrivateKey(byte[] privateKey) {
    return new AgreementKeyPair(new X25519PrivateKeyParameters(privateKey, 0));
  }

  AgreementPublicKey publicKey() {
    return publicKey;
  }

  byte[] privateKeyBytes() {
    return privateKey.getEncoded();
  }

  /** Raw X25519 shared secret; refuses low-order peer keys (all-zero output). */
  byte[] agree(AgreementPublicKey peer) {
    X25519Agreement agreement = new X25519Agreement();
    agreement.init(privateKey);
    byte[] shared = new byte[agreement.getAgreementSize()];
    try {
      agreement.calculateAgreement(new X25519PublicKeyParameters(peer.encodedView(), 0), shared, 0);
    } catch (IllegalStateException lowOrderPoint) {
      throw new SecAggException.ProtocolViolation("peer advertised a degenerate X25519 key");
    }
    return shared;
  }
}
