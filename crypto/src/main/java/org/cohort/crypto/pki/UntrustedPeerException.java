package org.cohort.crypto.pki;

import java.security.cert.CertificateException;

/**
 * A certificate does not name a valid consortium participant (malformed subject, unknown role,
 * invalid id) or a peer could not be verified. A {@link CertificateException} so trust managers can
 * throw it during the TLS handshake.
 */
public final class UntrustedPeerException extends CertificateException {
  private static final long serialVersionUID = 1L;

  public UntrustedPeerException(String message) {
    super(message);
  }

  public UntrustedPeerException(String message, Throwable cause) {
    super(message, cause);
  }
}
