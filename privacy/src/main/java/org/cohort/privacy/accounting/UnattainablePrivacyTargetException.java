package org.cohort.privacy.accounting;

/** No admissible noise level meets the requested privacy target. */
public final class UnattainablePrivacyTargetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UnattainablePrivacyTargetException(String message) {
    super(message);
  }
}
