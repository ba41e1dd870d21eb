package org.cohort.coordinator;

import java.util.List;

/** Progress of a federation; called on the coordinator's round thread, so keep it quick. */
public interface RoundListener {

  default void roundStarted(long round, List<String> participants) {}

  default void roundFinished(RoundSummary summary) {}

  /** The final model's cross-site evaluation: one row per site that answered. */
  default void evaluationFinished(EvaluationTable table) {}

  /** All configured rounds completed (after the final evaluation). */
  default void federationFinished(long completedRounds) {}
}
