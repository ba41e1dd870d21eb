package org.cohort.coordinator;

/** Where a round is. COLLECTING is the only phase that accepts updates; the other two are final. */
public enum RoundPhase {
  /** The task went out; updates are folded in as they complete. */
  COLLECTING,
  /** Enough contributions arrived: the new global model was applied and checkpointed. */
  COMPLETED,
  /** Too few contributions by the deadline (or too few participants left): nothing was applied. */
  ABANDONED
}
