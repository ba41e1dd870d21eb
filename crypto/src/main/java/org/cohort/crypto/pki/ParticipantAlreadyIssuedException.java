package org.cohort.crypto.pki;

/**
 * The CA already issued certificates for this participant id; use {@code reissue} to replace them.
 */
public final class ParticipantAlreadyIssuedException extends PkiException {
  private static final long serialVersionUID = 1L;

  public ParticipantAlreadyIssuedException(String participantId) {
    super(
        "participant '" + participantId + "' already has a kit; reissue explicitly to replace it");
  }
}
