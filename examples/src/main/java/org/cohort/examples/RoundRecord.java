package org.cohort.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;

/**
 * One finished round as the coordinator reports it (a line of its {@code --report} file, or a
 * {@link RoundSummary} in process). The eval figures are the sites' example-weighted evaluation, on
 * their held-out rows, of the global model sent out for this round; NaN when none was reported.
 */
public record RoundRecord(
    long round,
    boolean completed,
    int contributions,
    long totalExamples,
    double evalLoss,
    double evalAccuracy,
    double evalAuroc,
    long durationMs) {

  public static RoundRecord of(RoundSummary summary) {
    return new RoundRecord(
        summary.round(),
        summary.phase() == RoundPhase.COMPLETED,
        summary.contributions(),
        summary.totalExamples(),
        summary.meanEvalLoss(),
        summary.meanEvalAccuracy(),
        summary.meanEvalAuroc(),
        summary.duration().toMillis());
  }

  /** Parses a line written by {@link org.cohort.coordinator.RoundReportWriter}. */
  public static RoundRecord fromJson(JsonNode line) {
    return new RoundRecord(
        line.path("round").asLong(),
        "completed".equals(line.path("status").asText()),
        line.path("contributions").asInt(),
        line.path("total_examples").asLong(),
        Json.number(line.get("eval_loss")),
        Json.number(line.get("eval_accuracy")),
        Json.number(line.get("eval_auroc")),
        line.path("duration_ms").asLong());
  }

  public String progressLine(int totalRounds) {
    if (!completed) {
      return String.format(
          Locale.ROOT, "round %3d/%d  abandoned after %d ms", round, totalRounds, durationMs);
    }
    if (Double.isNaN(evalLoss) && Double.isNaN(evalAuroc) && Double.isNaN(evalAccuracy)) {
      // Under differential privacy no metric leaves a site during training.
      return String.format(
          Locale.ROOT,
          "round %3d/%d  %d sites  eval withheld (no metrics travel under DP)  %5d ms",
          round,
          totalRounds,
          contributions,
          durationMs);
    }
    return String.format(
        Locale.ROOT,
        "round %3d/%d  %d sites  %6d examples  eval loss %.4f  AUROC %.4f  accuracy %.4f  %5d ms",
        round,
        totalRounds,
        contributions,
        totalExamples,
        evalLoss,
        evalAuroc,
        evalAccuracy,
        durationMs);
  }

  public ObjectNode toJson() {
    ObjectNode node =
        JsonNodeFactory.instance
            .objectNode()
            .put("round", round)
            .put("status", completed ? "completed" : "abandoned")
            .put("contributions", contributions)
            .put("total_examples", totalExamples);
    Json.putFinite(node, "eval_loss", evalLoss);
    Json.putFinite(node, "eval_accuracy", evalAccuracy);
    Json.putFinite(node, "eval_auroc", evalAuroc);
    return node.put("duration_ms", durationMs);
  }
}
