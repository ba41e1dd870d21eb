package org.cohort.protocol.wire;

/** A tensor stream that does not cover its vector exactly once, in order, with valid values. */
public final class InvalidTensorStreamException extends Exception {

  private static final long serialVersionUID = 1L;

  public InvalidTensorStreamException(String message) {
    super(message);
  }
}
