package org.cohort.crypto.secagg;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.pki.UntrustedPeerException;
import org.cohort.crypto.sign.SigningKey;
import org.cohort.crypto.sign.VerificationKey;

/**
 * Verification keys for key adverts, taken only from signing certificates that the consortium CA
 * issued (and did not revoke) to the very site the advert names. The transport relays each site's
 * signing certificate with its advert; the coordinator and every site check it here, so neither a
 * forged certificate nor another participant's certificate can vouch for an advert.
 */
public final class SigningCertificates {

  private static final KeyFactory ED25519;

  static {
    try {
      ED25519 = KeyFactory.getInstance("Ed25519", new BouncyCastleProvider());
    } catch (NoSuchAlgorithmException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private SigningCertificates() {}

  /**
   * The Ed25519 key of {@code participant} from a DER signing certificate; throws {@link
   * SecAggException.InvalidAdvertSignature} if the certificate is not a valid SITE signing
   * certificate of that participant under {@code caCertificate}.
   */
  public static PublicKey verificationKey(
      byte[] der,
      X509Certificate caCertificate,
      Optional<X509CRL> revocationList,
      ParticipantId participant) {
    X509Certificate certificate;
    try {
      certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | ClassCastException e) {
      throw new SecAggException.InvalidAdvertSignature(
          "signing certificate of " + participant + " cannot be parsed");
    }
    VerificationKey key;
    try {
      key = VerificationKey.fromCertificate(certificate, caCertificate, revocationList);
    } catch (UntrustedPeerException e) {
      throw new SecAggException.InvalidAdvertSignature(
          "signing certificate of " + participant + " is refused: " + e.getMessage());
    }
    if (key.participant().role() != Role.SITE
        || !key.participant().id().equals(participant.value())) {
      throw new SecAggException.InvalidAdvertSignature(
          "signing certificate names " + key.participant().id() + ", not " + participant);
    }
    try {
      return ED25519.generatePublic(new X509EncodedKeySpec(key.publicKey().getEncoded()));
    } catch (InvalidKeySpecException e) {
      throw new SecAggException.InvalidAdvertSignature(
          "signing certificate of " + participant + " holds no usable key");
    }
  }

  /**
   * The kit's Ed25519 signing key, for {@link SecAggClient} (fails if it does not match the kit's
   * certificate).
   */
  public static PrivateKey signingKey(StartupKit kit) {
    SigningKey.load(kit);
    try {
      return ED25519.generatePrivate(
          new PKCS8EncodedKeySpec(
              Pem.readPrivateKeyInfo(kit.signingPrivateKeyFile()).getEncoded()));
    } catch (IOException | InvalidKeySpecException e) {
      // The cause is dropped on purpose: parser messages may quote key bytes.
      throw new SecAggException.InvalidParameters(
          "signing key in " + kit.signingPrivateKeyFile() + " is not a usable Ed25519 key");
    }
  }

  /** A resolver over already-checked keys; unknown participants are refused. */
  public static VerificationKeys resolver(Map<ParticipantId, PublicKey> keys) {
    return participant -> {
      PublicKey key = keys.get(participant);
      if (key == null) {
        throw new SecAggException.InvalidAdvertSignature(
            "no certified signing key for " + participant);
      }
      return key;
    };
  }
}
