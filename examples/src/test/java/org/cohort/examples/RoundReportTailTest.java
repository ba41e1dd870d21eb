package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cohort.coordinator.EvaluationTable;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundReportWriter;
import org.cohort.coordinator.RoundSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo follows the coordinator's report file from another process: written here by the
 * coordinator's own writer.
 */
class RoundReportTailTest {

  @Test
  void roundsComeAsTheyAreWrittenAndTheCrossSiteEvaluationLineIsKeptApart(@TempDir Path dir) {
    Path file = dir.resolve("rounds.jsonl");
    RoundReportTail tail = new RoundReportTail(file);
    assertTrue(tail.poll().isEmpty(), "no file yet is no rounds yet");
    EvaluationTable written =
        new EvaluationTable(
            3,
            List.of(
                new EvaluationTable.Row("north", 60, 0.44, 0.85, 0.78),
                new EvaluationTable.Row("east", 0, Double.NaN, Double.NaN, Double.NaN)));
    try (RoundReportWriter writer = new RoundReportWriter(file)) {
      writer.roundFinished(summary(1));
      assertEquals(List.of(1L), tail.poll().stream().map(RoundRecord::round).toList());
      writer.roundFinished(summary(2));
      writer.evaluationFinished(written);
    }

    List<RoundRecord> rest = tail.poll();
    assertEquals(
        List.of(2L),
        rest.stream().map(RoundRecord::round).toList(),
        "the evaluation line is not a round");
    EvaluationTable read = tail.evaluation().orElseThrow();
    assertEquals(3, read.round());
    assertEquals(written.sites().get(0), read.sites().get(0));
    assertEquals("east", read.sites().get(1).site());
    assertTrue(Double.isNaN(read.sites().get(1).auroc()), "a site that reported nothing stays NaN");
    assertEquals(
        CrossSiteReport.toJson(written),
        CrossSiteReport.toJson(read),
        "read back as the coordinator wrote it");
  }

  private static RoundSummary summary(long round) {
    return new RoundSummary(
        round, RoundPhase.COMPLETED, 2, 300, 0.5, 0.75, 0.8, Duration.ofMillis(40), "");
  }
}
