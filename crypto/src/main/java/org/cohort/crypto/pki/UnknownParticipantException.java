package org.cohort.crypto.pki;

/** The CA never issued a certificate for this participant id. */
public final class UnknownParticipantException extends PkiException {
  private static final long serialVersionUID = 1L;

  public UnknownParticipantException(String participantId) {
    super("no certificate was issued for participant '" + participantId + "'");
  }
}
