package org.cohort.crypto.pki;

/** Provisioning or key-material failure (unreadable or inconsistent files, misuse of the CA). */
public class PkiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }
}
