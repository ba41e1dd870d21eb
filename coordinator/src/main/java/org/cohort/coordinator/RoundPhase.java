package org.cohort.coordinator;

/**
 * Where a round is. A plain round goes COLLECTING → APPLYING → COMPLETED | ABANDONED. A secure
 * round goes ADVERTISING → SHARING → COLLECTING → CONFIRMING → UNMASKING → APPLYING → COMPLETED,
 * and may be ABANDONED from any phase before COMPLETED. Each open phase has a deadline ({@link
 * Round#deadline()}); the last two are final.
 */
public enum RoundPhase {
  /** Secure round: participants send signed key adverts (phase deadline). */
  ADVERTISING,
  /**
   * Secure round: the adverts went out; participants send their encrypted shares (phase deadline).
   */
  SHARING,
  /**
   * Updates (plain) or masked inputs (secure) stream in and are summed when complete (round
   * deadline).
   */
  COLLECTING,
  /**
   * Secure round: the survivor set went out; survivors sign it, the consistency check of Bonawitz
   * et al. that stops different survivor sets being told to different sites (phase deadline).
   */
  CONFIRMING,
  /**
   * Secure round: survivors reveal the shares that strip the masks off the sum (phase deadline).
   */
  UNMASKING,
  /**
   * Enough contributions arrived: the server strategy applies the aggregate and the checkpoint is
   * written.
   */
  APPLYING,
  /** The new global model was applied and checkpointed. */
  COMPLETED,
  /** Too few contributions by the deadline (or too few participants left): nothing was applied. */
  ABANDONED
}
