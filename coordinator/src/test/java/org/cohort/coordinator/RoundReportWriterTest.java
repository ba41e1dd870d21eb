package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundReportWriterTest {

  @Test
  void writesOneFlushedJsonLinePerRoundWithNullForUnreportedFigures(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("reports/rounds.jsonl");
    try (RoundReportWriter writer = new RoundReportWriter(file)) {
      writer.roundFinished(
          new RoundSummary(
              1, RoundPhase.COMPLETED, 3, 900, 0.5, 0.75, 0.8, Duration.ofMillis(120), ""));
      // Readable before close: a demo follows the file while the coordinator runs.
      assertEquals(1, Files.readAllLines(file).size());
      writer.roundFinished(
          new RoundSummary(
              2,
              RoundPhase.ABANDONED,
              1,
              300,
              Double.NaN,
              Double.NaN,
              Double.NaN,
              Duration.ofMillis(5000),
              "deadline passed"));
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size());
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    assertEquals(1, first.get("round").asLong());
    assertEquals("completed", first.get("status").asText());
    assertEquals(3, first.get("contributions").asInt());
    assertEquals(900, first.get("total_examples").asLong());
    assertEquals(0.5, first.get("eval_loss").asDouble());
    assertEquals(0.75, first.get("eval_accuracy").asDouble());
    assertEquals(0.8, first.get("eval_auroc").asDouble());
    assertEquals(120, first.get("duration_ms").asLong());
    JsonNode second = json.readTree(lines.get(1));
    assertEquals("abandoned", second.get("status").asText());
    assertTrue(second.get("eval_auroc").isNull());
    assertEquals("deadline passed", second.get("abandon_reason").asText());
  }

  @Test
  void theCrossSiteEvaluationIsOneLineWithEverySiteAndTheMeanOverSites(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("rounds.jsonl");
    try (RoundReportWriter writer = new RoundReportWriter(file)) {
      writer.evaluationFinished(
          new EvaluationTable(
              21,
              List.of(
                  new EvaluationTable.Row("site-a", 40, 0.4, 0.9, 0.8),
                  new EvaluationTable.Row("site-b", 0, Double.NaN, Double.NaN, Double.NaN),
                  new EvaluationTable.Row("site-c", 60, 0.6, 0.7, 0.6))));
    }
    JsonNode evaluation =
        new ObjectMapper().readTree(Files.readAllLines(file).get(0)).get("cross_site_evaluation");
    assertEquals(21, evaluation.get("round").asLong());
    assertEquals(3, evaluation.get("sites").size());
    assertEquals("site-c", evaluation.get("sites").get(2).get("site").asText());
    assertEquals(0.7, evaluation.get("sites").get(2).get("auroc").asDouble());
    assertTrue(
        evaluation.get("sites").get(1).get("auroc").isNull(),
        "a site that reported nothing has null figures");
    JsonNode mean = evaluation.get("mean_over_sites");
    assertEquals(
        0.8, mean.get("auroc").asDouble(), 1e-12, "the mean is over the sites that reported");
    assertEquals(0.7, mean.get("accuracy").asDouble(), 1e-12);
    assertEquals(100, mean.get("examples").asLong());
  }
}
