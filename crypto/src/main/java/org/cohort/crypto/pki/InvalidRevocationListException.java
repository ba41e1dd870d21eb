package org.cohort.crypto.pki;

/** A revocation list that is malformed or not signed by the consortium CA. */
public final class InvalidRevocationListException extends PkiException {
  private static final long serialVersionUID = 1L;

  public InvalidRevocationListException(String message) {
    super(message);
  }
}
