package org.cohort.crypto.secagg;

import java.util.List;

/**
 * The only thing a round reveals: Σ w_i·clip(x_i) over the contributors (within {@link
 * SecAggParameters#sumErrorBound(int)} per coordinate) and Σ w_i.
 */
public record AggregateResult(
    double[] weightedSum, long totalWeight, List<ParticipantId> contributors) {
  public AggregateResult {
    contributors = List.copyOf(contributors);
  }
}
