package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cohort.coordinator.CheckpointStore;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.site.data.SyntheticCohort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the multi-process demo, kept small: 4 hospitals, 2 rounds, a strategy other than
 * the default, differential privacy on (the default under secure aggregation).
 */
class DemoCommandTest {

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G'};

  @Test
  void fourHospitalsInSeparateProcessesTrainAndTheDemoReportsTheComparison(@TempDir Path dir)
      throws Exception {
    Path work = dir.resolve("demo-work");
    Cli run =
        Cli.run(
            "demo",
            "--work-dir",
            work.toString(),
            "--hospitals",
            "4",
            "--rounds",
            "2",
            "--seed",
            "3",
            "--strategy",
            "fedavgm");

    assertTrue(run.out().contains("round   2/2  4 sites  eval withheld"), run.out() + run.err());
    assertTrue(run.out().contains("Differential privacy: distributed"), run.out());
    assertTrue(Files.isRegularFile(work.resolve("logs/coordinator.log")));
    assertFalse(Files.exists(work.resolve("logs/city-west.log")), "only the first 4 hospitals run");
    JsonNode report = new ObjectMapper().readTree(work.resolve("report.json").toFile());
    assertEquals(2, report.get("round_history").size());
    for (JsonNode round : report.get("round_history")) {
      assertEquals("completed", round.get("status").asText());
      assertEquals(4, round.get("contributions").asInt());
    }
    JsonNode comparison = report.get("comparison");
    assertEquals(4, comparison.get("local").size());

    // The coordinator process ran the strategy it was given, with the coordinator's defaults.
    assertEquals("fedavgm", report.get("demo").get("strategy").get("name").asText());
    assertEquals(0.9, report.get("demo").get("strategy").get("momentum").asDouble());
    CheckpointStore.Checkpoint checkpoint =
        CheckpointStore.read(
            work.resolve("pki/kits/coordinator/checkpoints").resolve(CheckpointStore.FILE_NAME),
            ModelLayout.of(ModelKind.LOGREG.spec(SyntheticCohort.FEATURE_COUNT)).totalElements());
    assertEquals("fedavgm", checkpoint.strategy());

    // Every hospital scored the final model on its own held-out patients: the common test set,
    // split by site.
    assertTrue(run.out().contains("Cross-site evaluation"), run.out());
    JsonNode evaluation = report.get("cross_site_evaluation");
    List<String> hospitals =
        SyntheticCohort.DEFAULT_HOSPITALS.subList(0, 4).stream()
            .map(SyntheticCohort.HospitalProfile::name)
            .toList();
    List<String> evaluated = new ArrayList<>();
    long evaluatedRows = 0;
    for (JsonNode site : evaluation.get("sites")) {
      evaluated.add(site.get("site").asText());
      evaluatedRows += site.get("examples").asLong();
    }
    assertEquals(hospitals, evaluated);
    assertEquals(comparison.get("test_rows").asLong(), evaluatedRows);
    assertTrue(
        evaluation.get("mean_over_sites").get("auroc").asDouble() > 0.6, evaluation.toString());
    assertTrue(comparison.get("federated").get("auroc").asDouble() > 0.6, comparison.toString());

    // The privacy the coordinator planned, and each hospital's own account from its process's log.
    JsonNode privacy = report.get("demo").get("privacy");
    assertEquals("distributed", privacy.get("mode").asText());
    assertEquals(2, privacy.get("rounds").asInt());
    double planned = privacy.get("epsilon").asDouble();
    assertTrue(planned <= 3 && planned > 2.9, privacy.toString());
    assertEquals(4, privacy.get("spent_by_site").size());
    for (JsonNode site : privacy.get("spent_by_site")) {
      // The site logs its total to 4 decimals.
      assertEquals(planned, site.get("epsilon").asDouble(), 1e-4, site.toString());
    }
    assertTrue(run.out().contains("Privacy spent, from each site's own accounting"), run.out());

    // With privacy the criterion is the stated margin to the non-private pooled model.
    double margin =
        comparison.get("pooled").get("auroc").asDouble()
            - comparison.get("federated").get("auroc").asDouble();
    boolean passed = margin <= DemoCommand.PRIVATE_MARGIN_TO_POOLED;
    assertEquals(passed, report.get("verdict").get("passed").asBoolean(), report.toString());
    assertTrue(run.out().contains("Criterion: with differential privacy"), run.out());
    assertEquals(passed ? 0 : 1, run.exitCode(), run.err());
    try (InputStream png = Files.newInputStream(work.resolve("training-curve.png"))) {
      assertArrayEquals(PNG_SIGNATURE, png.readNBytes(4));
    }
  }
}
