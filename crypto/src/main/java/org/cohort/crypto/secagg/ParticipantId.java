package org.cohort.crypto.secagg;

import org.cohort.crypto.pki.ParticipantIdentity;

/**
 * A participant's id as written in its certificate subject (e.g. {@code hospital-a}), in the
 * alphabet of {@link ParticipantIdentity#isValidId}. Ids decoded from messages are checked here, so
 * no id that reaches a log can carry control characters or line breaks; a bad one is refused
 * without being quoted.
 */
public record ParticipantId(String value) implements Comparable<ParticipantId> {
  /** The decoder's length bound; valid ids are far shorter. */
  static final int MAX_UTF8_BYTES = 255;

  public ParticipantId {
    if (!ParticipantIdentity.isValidId(value)) {
      throw new SecAggException.InvalidParameters(
          "participant id is not 1..63 lowercase letters, digits or '-' (starting with a letter or"
              + " digit)");
    }
  }

  public static ParticipantId of(String value) {
    return new ParticipantId(value);
  }

  @Override
  public int compareTo(ParticipantId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
