package org.cohort.site.round;

/** What the training stage hands to the encoding stage of a round. */
sealed interface Contribution permits TrainedUpdate, Contribution.Residues {

  /**
   * A distributed-DP round's integer encoding of the site's clipped gradient sum, its noise share
   * included: residues mod 2^bits, for the masked sum only (never sent in the clear).
   */
  record Residues(int[] values) implements Contribution {}
}
