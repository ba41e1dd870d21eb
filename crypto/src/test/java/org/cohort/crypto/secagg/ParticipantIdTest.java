package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Ids that arrive in messages are echoed into logs: only the safe alphabet gets through. */
class ParticipantIdTest {

  @Test
  void idsOutsideTheSafeAlphabetAreRefusedWithoutBeingQuoted() {
    for (String bad :
        List.of(
            "",
            "Hospital-A",
            "-leading-dash",
            "two\nlines",
            "esc\u001b[31mred",
            "dots.and/slashes",
            "x".repeat(64))) {
      SecAggException.InvalidParameters refused =
          assertThrows(SecAggException.InvalidParameters.class, () -> ParticipantId.of(bad));
      if (!bad.isEmpty()) {
        assertFalse(refused.getMessage().contains(bad), refused.getMessage());
      }
    }
    assertEquals("hospital-a", ParticipantId.of("hospital-a").value());
    assertEquals("x".repeat(63), ParticipantId.of("x".repeat(63)).value());
  }
}
