package org.cohort.crypto.sign;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.UntrustedPeerException;

/**
 * A participant's Ed25519 public key, accepted only from a signing certificate that the consortium
 * CA issued, that is valid now, and that is meant for signatures. Thread-safe.
 */
public final class VerificationKey {
  private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;

  private final Ed25519PublicKeyParameters key;
  private final ParticipantIdentity participant;
  private final X509Certificate certificate;

  private VerificationKey(
      Ed25519PublicKeyParameters key,
      ParticipantIdentity participant,
      X509Certificate certificate) {
    this.key = key;
    this.participant = participant;
    this.certificate = certificate;
  }

  /**
   * @throws UntrustedPeerException if the certificate is not a currently valid Ed25519 signing
   *     certificate issued by {@code caCertificate} to a well-formed participant
   */
  public static VerificationKey fromCertificate(
      X509Certificate signingCertificate, X509Certificate caCertificate)
      throws UntrustedPeerException {
    return fromCertificate(signingCertificate, caCertificate, Optional.empty());
  }

  /**
   * As {@link #fromCertificate(X509Certificate, X509Certificate)}, also refusing revoked
   * certificates.
   */
  public static VerificationKey fromCertificate(
      X509Certificate signingCertificate,
      X509Certificate caCertificate,
      Optional<X509CRL> revocationList)
      throws UntrustedPeerException {
    Objects.requireNonNull(signingCertificate, "signingCertificate");
    Objects.requireNonNull(caCertificate, "caCertificate");
    try {
      caCertificate.checkValidity();
      if (caCertificate.getBasicConstraints() < 0) {
        throw new UntrustedPeerException("the given CA certificate is not a CA");
      }
      if (!signingCertificate
          .getIssuerX500Principal()
          .equals(caCertificate.getSubjectX500Principal())) {
        throw new UntrustedPeerException("signing certificate was not issued by the consortium CA");
      }
      signingCertificate.verify(caCertificate.getPublicKey());
      signingCertificate.checkValidity();
    } catch (UntrustedPeerException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new UntrustedPeerException(
          "signing certificate is not valid under the consortium CA", e);
    }
    if (revocationList.isPresent()) {
      X509CRL crl = revocationList.get();
      try {
        crl.verify(caCertificate.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new UntrustedPeerException("revocation list was not signed by the consortium CA", e);
      }
      if (crl.isRevoked(signingCertificate)) {
        throw new UntrustedPeerException("signing certificate has been revoked");
      }
    }
    boolean[] usage = signingCertificate.getKeyUsage();
    if (usage == null
        || !usage[KEY_USAGE_DIGITAL_SIGNATURE]
        || signingCertificate.getBasicConstraints() != -1) {
      throw new UntrustedPeerException("certificate is not meant for digital signatures");
    }
    SubjectPublicKeyInfo publicKey =
        SubjectPublicKeyInfo.getInstance(signingCertificate.getPublicKey().getEncoded());
    if (!EdECObjectIdentifiers.id_Ed25519.equals(publicKey.getAlgorithm().getAlgorithm())) {
      throw new UntrustedPeerException("signing certificate does not hold an Ed25519 key");
    }
    ParticipantIdentity participant = ParticipantIdentity.fromCertificate(signingCertificate);
    return new VerificationKey(
        new Ed25519PublicKeyParameters(publicKey.getPublicKeyData().getOctets()),
        participant,
        signingCertificate);
  }

  public ParticipantIdentity participant() {
    return participant;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The same key for JCA code ({@code Signature.getInstance("Ed25519")}). */
  public PublicKey publicKey() {
    return certificate.getPublicKey();
  }

  /** False for any wrong, malformed or wrongly sized signature; never throws on bad input. */
  public boolean verify(byte[] message, byte[] signature) {
    if (message == null || signature == null || signature.length != Ed25519.SIGNATURE_SIZE) {
      return false;
    }
    return key.verify(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
  }

  @Override
  public String toString() {
    return "VerificationKey[" + participant + "]";
  }
}
