package org.cohort.site.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.model.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The synthetic cohort's purpose: on the union of every hospital's held-out rows, federated
 * training reaches at least 99 % of the pooled model's AUROC and beats every hospital alone.
 */
class FederationIsWorthwhileTest {

  private static final TrainingSettings SETTINGS =
      TrainingSettings.newBuilder()
          .setEpochs(1)
          .setBatchSize(256)
          .setLearningRate(0.5)
          .setOptimizer(Optimizer.OPTIMIZER_SGD)
          .setSeed(7)
          .build();

  @Test
  void federatedLogregNearlyMatchesPooledAndBeatsEveryHospitalAlone() {
    assertFederationIsWorthwhile(
        ModelSpec.newBuilder()
            .setKind("logreg")
            .setInputFeatures(SyntheticCohort.FEATURE_COUNT)
            .build(),
        25);
  }

  /** About a minute on a busy two-core machine: run with -Dcohort.slowTests=true. */
  @Test
  @EnabledIfSystemProperty(named = "cohort.slowTests", matches = "true")
  void federatedMlpNearlyMatchesPooledAndBeatsEveryHospitalAlone() {
    assertFederationIsWorthwhile(
        ModelSpec.newBuilder()
            .setKind("mlp")
            .setInputFeatures(SyntheticCohort.FEATURE_COUNT)
            .addHiddenSizes(16)
            .build(),
        40);
  }

  private static void assertFederationIsWorthwhile(ModelSpec model, int rounds) {
    CohortComparison.Result result =
        CohortComparison.run(SyntheticCohort.generate(1), model, SETTINGS, rounds, 42);

    StringBuilder table =
        new StringBuilder(
            String.format(
                "%s: pooled %.4f, federated %.4f (%.2f %% of pooled)",
                model.getKind(),
                result.pooled().auroc(),
                result.federated().auroc(),
                100 * result.federatedShareOfPooled()));
    for (Map.Entry<String, Evaluation> local : result.local().entrySet()) {
      table.append(String.format(", %s alone %.4f", local.getKey(), local.getValue().auroc()));
    }
    System.out.println("Test AUROC on all hospitals' held-out rows, " + table);
    assertTrue(result.federatedShareOfPooled() >= 0.99, table::toString);
    for (Map.Entry<String, Evaluation> local : result.local().entrySet()) {
      assertTrue(
          result.federated().auroc() > local.getValue().auroc(),
          () -> local.getKey() + ": " + table);
    }
  }
}
