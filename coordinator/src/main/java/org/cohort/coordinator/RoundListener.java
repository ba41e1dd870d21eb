package org.cohort.coordinator;

import java.util.List;

/** Progress of a federation; called on the coordinator's round thread, so keep it quick. */
public interface RoundListener {

  default void roundStarted(long round, List<String> participants) {}

  default void roundFinished(RoundSummary summary) {}

  /** All configured rounds completed. */
  default void federationFinished(long completedRounds) {}
}
