package org.cohort.crypto.secagg;

import java.util.List;

/**
 * The only thing a round reveals: Σ w_i·clip(x_i) over the contributors (within {@link
 * SecAggParameters#sumErrorBound(int)} per coordinate), Σ w_i, and the exact slot-wise sums of the
 * contributors' counts.
 */
public record AggregateResult(
    double[] weightedSum, long totalWeight, long[] countSums, List<ParticipantId> contributors) {
  public AggregateResult {
    contributors = List.copyOf(contributors);
  }
}
