package org.cohort.crypto.secagg;

import java.nio.charset.StandardCharsets;

/** A participant's id as written in its certificate subject (e.g. {@code hospital-a}). */
public record ParticipantId(String value) implements Comparable<ParticipantId> {
  static final int MAX_UTF8_BYTES = 255;

  public ParticipantId {
    if (value == null || value.isEmpty()) {
      throw new SecAggException.InvalidParameters("participant id must not be empty");
    }
    if (value.getBytes(StandardCharsets.UTF_8).length > MAX_UTF8_BYTES) {
      throw new SecAggException.InvalidParameters("participant id must be at most 255 UTF-8 bytes");
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
