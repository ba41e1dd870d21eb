package org.cohort.site.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  @Test
  void ceilingDoublesUpToTheCapAndDelaysAreJitteredBelowIt() {
    ReconnectBackoff backoff =
        new ReconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(1000));
    long[] ceilings = {100, 200, 400, 800, 1000, 1000};
    for (long ceiling : ceilings) {
      assertEquals(ceiling, backoff.ceilingMillis());
      long delay = backoff.nextDelay().toMillis();
      assertTrue(delay >= 0 && delay <= ceiling, "delay " + delay + " above " + ceiling);
    }
    backoff.reset();
    assertEquals(100, backoff.ceilingMillis());
  }

  @Test
  void manyAttemptsNeverOverflow() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    for (int i = 0; i < 200; i++) {
      assertTrue(backoff.nextDelay().toMillis() <= 30_000);
    }
  }
}
