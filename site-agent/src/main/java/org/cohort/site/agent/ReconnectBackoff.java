package org.cohort.site.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * the n-th retry waits a uniform random time in [0, min(cap, initial * 2^n)], so sites that lost
 * the coordinator together do not reconnect together. Not confined: used on one event loop.
 */
final class ReconnectBackoff {

  private final long initialMillis;
  private final long capMillis;
  private int attempt;

  ReconnectBackoff(Duration initial, Duration cap) {
    this.initialMillis = initial.toMillis();
    this.capMillis = cap.toMillis();
  }

  /** The ceiling of the next delay, before jitter. */
  long ceilingMillis() {
    return Math.min(capMillis, initialMillis << Math.min(attempt, 30));
  }

  Duration nextDelay() {
    long ceiling = ceilingMillis();
    attempt++;
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling + 1));
  }

  void reset() {
    attempt = 0;
  }
}
