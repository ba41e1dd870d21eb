package org.cohort.coordinator;

import java.time.Instant;
import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;

/**
 * What one event did to a {@link Round}. The round never sends anything itself: the federation
 * carries out a transition (sends its messages, arms the new deadline, applies the aggregate).
 */
sealed interface Transition {

  /** Nothing to do yet: the phase waits for more answers or its deadline. */
  record Stay() implements Transition {}

  /** The round entered {@code phase}: send {@code messages}, then arm {@code deadline}. */
  record NextPhase(RoundPhase phase, Instant deadline, List<Outbound> messages)
      implements Transition {}

  /**
   * Enough contributions are in: the strategy applies {@code aggregate}, then the round is applied
   * or abandoned.
   */
  record Aggregated(AggregateUpdate aggregate) implements Transition {}

  /** The round ended without a new model. */
  record Abandoned(String reason) implements Transition {}

  Transition STAY = new Stay();

  /** One message of a new phase, for one site. */
  record Outbound(String site, PhaseMessage message) {}
}
