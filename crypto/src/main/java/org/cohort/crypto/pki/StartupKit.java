package org.cohort.crypto.pki;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * One participant's credentials: a TLS key and certificate (ECDSA P-256), an Ed25519 signing
 * certificate (its key is read by {@code org.cohort.crypto.sign.SigningKey#load}), the consortium
 * CA certificate and optionally the CA's revocation list. Loading checks that both certificates
 * were issued by the kit's CA to the same participant and that the TLS key matches its certificate.
 */
public final class StartupKit {
  private final KitFiles files;
  private final X509Certificate tlsCertificate;
  private final PrivateKey tlsPrivateKey;
  private final X509Certificate caCertificate;
  private final X509Certificate signingCertificate;
  private final ParticipantIdentity identity;

  private StartupKit(
      KitFiles files,
      X509Certificate tlsCertificate,
      PrivateKey tlsPrivateKey,
      X509Certificate caCertificate,
      X509Certificate signingCertificate,
      ParticipantIdentity identity) {
    this.files = files;
    this.tlsCertificate = tlsCertificate;
    this.tlsPrivateKey = tlsPrivateKey;
    this.caCertificate = caCertificate;
    this.signingCertificate = signingCertificate;
    this.identity = identity;
  }

  public static StartupKit load(Path directory) {
    return load(KitFiles.in(directory));
  }

  public static StartupKit load(KitFiles files) {
    X509Certificate ca = Pem.readCertificate(files.caCertificate());
    X509Certificate tls = Pem.readCertificate(files.tlsCertificate());
    X509Certificate signing = Pem.readCertificate(files.signingCertificate());
    PrivateKey tlsKey = Pem.readPrivateKey(files.tlsPrivateKey());
    requireIssuedBy(tls, ca, files.tlsCertificate());
    requireIssuedBy(signing, ca, files.signingCertificate());
    EcKeys.requireMatch(tlsKey, tls.getPublicKey(), files.tlsPrivateKey().toString());
    ParticipantIdentity identity = identityOf(tls, files.tlsCertificate());
    if (!identity.equals(identityOf(signing, files.signingCertificate()))) {
      throw new PkiException("signing certificate and TLS certificate name different participants");
    }
    if (!Files.isRegularFile(files.signingPrivateKey())) {
      throw new PkiException("missing signing key " + files.signingPrivateKey());
    }
    return new StartupKit(files, tls, tlsKey, ca, signing, identity);
  }

  public KitFiles files() {
    return files;
  }

  /** The directory holding the kit's TLS certificate. */
  public Path directory() {
    return files.tlsCertificate().toAbsolutePath().getParent();
  }

  public ParticipantIdentity identity() {
    return identity;
  }

  public X509Certificate tlsCertificate() {
    return tlsCertificate;
  }

  public PrivateKey tlsPrivateKey() {
    return tlsPrivateKey;
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  public X509Certificate signingCertificate() {
    return signingCertificate;
  }

  public Path signingPrivateKeyFile() {
    return files.signingPrivateKey();
  }

  /** The revocation list file, if the kit has one on disk now. */
  public Optional<Path> revocationList() {
    return Files.isRegularFile(files.revocationList())
        ? Optional.of(files.revocationList())
        : Optional.empty();
  }

  @Override
  public String toString() {
    return "StartupKit[" + identity + " in " + directory() + "]";
  }

  private static ParticipantIdentity identityOf(X509Certificate certificate, Path file) {
    try {
      return ParticipantIdentity.fromCertificate(certificate);
    } catch (UntrustedPeerException e) {
      throw new PkiException(file + ": " + e.getMessage(), e);
    }
  }

  private static void requireIssuedBy(X509Certificate certificate, X509Certificate ca, Path file) {
    try {
      certificate.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new PkiException(file + " was not issued by the kit's CA certificate", e);
    }
  }
}
