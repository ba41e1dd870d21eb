package org.cohort.examples;

/**
 * The user's input (a file, a column name, an option) cannot be used. The message is one line that
 * names the problem and never quotes a data cell; the commands print it and exit with status 2.
 */
public final class InvalidInputException extends RuntimeException {

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
