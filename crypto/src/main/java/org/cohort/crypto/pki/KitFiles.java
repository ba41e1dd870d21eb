package org.cohort.crypto.pki;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the files of a startup kit are. {@link #in(Path)} gives the standard layout written by
 * {@link ConsortiumCa#issue}; build the record directly when a config names the files elsewhere.
 * The revocation list is optional on disk: TLS honours it only if the file exists.
 */
public record KitFiles(
    Path tlsCertificate,
    Path tlsPrivateKey,
    Path caCertificate,
    Path revocationList,
    Path signingCertificate,
    Path signingPrivateKey) {
  public static final String TLS_CERTIFICATE = "tls-cert.pem";
  public static final String TLS_PRIVATE_KEY = "tls-key.pem";
  public static final String CA_CERTIFICATE = "ca.pem";
  public static final String REVOCATION_LIST = "crl.pem";
  public static final String SIGNING_CERTIFICATE = "signing-cert.pem";
  public static final String SIGNING_PRIVATE_KEY = "signing-key.pem";

  public KitFiles {
    Objects.requireNonNull(tlsCertificate, "tlsCertificate");
    Objects.requireNonNull(tlsPrivateKey, "tlsPrivateKey");
    Objects.requireNonNull(caCertificate, "caCertificate");
    Objects.requireNonNull(revocationList, "revocationList");
    Objects.requireNonNull(signingCertificate, "signingCertificate");
    Objects.requireNonNull(signingPrivateKey, "signingPrivateKey");
  }

  public static KitFiles in(Path directory) {
    return new KitFiles(
        directory.resolve(TLS_CERTIFICATE),
        directory.resolve(TLS_PRIVATE_KEY),
        directory.resolve(CA_CERTIFICATE),
        directory.resolve(REVOCATION_LIST),
        directory.resolve(SIGNING_CERTIFICATE),
        directory.resolve(SIGNING_PRIVATE_KEY));
  }

  /**
   * The same kit with the revocation list read from another file (e.g. a config's revocation_list).
   */
  public KitFiles withRevocationList(Path file) {
    return new KitFiles(
        tlsCertificate, tlsPrivateKey, caCertificate, file, signingCertificate, signingPrivateKey);
  }
}
