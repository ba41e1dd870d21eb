package org.cohort.coordinator;

import java.time.Duration;

/**
 * How a round ended. The eval figures are the example-weighted means of what sites reported for the
 * global model they received (NaN when none reported).
 */
public record RoundSummary(
    long round,
    RoundPhase phase,
    int contributions,
    long totalExamples,
    double meanEvalLoss,
    double meanEvalAccuracy,
    double meanEvalAuroc,
    Duration duration,
    String abandonReason) {

  public String progressLine() {
    return phase == RoundPhase.COMPLETED
        ? String.format(
            "round %d completed: %d contributions, %d examples, eval loss %.4f, eval AUROC %.4f, %d ms",
            round, contributions, totalExamples, meanEvalLoss, meanEvalAuroc, duration.toMillis())
        : String.format(
            "round %d abandoned after %d ms: %s", round, duration.toMillis(), abandonReason);
  }
}
