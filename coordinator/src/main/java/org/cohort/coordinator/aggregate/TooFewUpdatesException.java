package org.cohort.coordinator.aggregate;

/** A round ended with fewer updates than the aggregator needs to give its robustness guarantee. */
public final class TooFewUpdatesException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final int required;
  private final int received;

  public TooFewUpdatesException(String message, int required, int received) {
    super(message);
    this.required = required;
    this.received = received;
  }

  public int required() {
    return required;
  }

  public int received() {
    return received;
  }
}
