package org.cohort.site.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.model.Evaluation;
import org.junit.jupiter.api.Test;

/** The synthetic cohort's purpose: federated training beats every hospital alone and nearly matches pooling. */
class FederationIsWorthwhileTest {

  @Test
  void federatedLogregNearlyMatchesPooledAndBeatsEveryHospitalAlone() {
    ModelSpec logreg = ModelSpec.newBuilder().setKind("logreg").setInputFeatures(SyntheticCohort.FEATURE_COUNT).build();
    TrainingSettings settings = TrainingSettings.newBuilder().setEpochs(1).setBatchSize(256)
        .setLearningRate(0.5).setOptimizer(Optimizer.OPTIMIZER_SGD).setSeed(7).build();

    CohortComparison.Result result = CohortComparison.run(SyntheticCohort.generate(1), logreg, settings, 40, 42);

    StringBuilder table = new StringBuilder(String.format("pooled %.4f, federated %.4f (%.2f %% of pooled)",
        result.pooled().auroc(), result.federated().auroc(), 100 * result.federatedShareOfPooled()));
    for (Map.Entry<String, Evaluation> local : result.local().entrySet()) {
      table.append(String.format(", %s alone %.4f", local.getKey(), local.getValue().auroc()));
    }
    System.out.println("Test AUROC on all hospitals' held-out rows: " + table);
    assertTrue(result.federatedShareOfPooled() >= 0.99, table::toString);
    for (Map.Entry<String, Evaluation> local : result.local().entrySet()) {
      assertTrue(result.federated().auroc() > local.getValue().auroc(), () -> local.getKey() + ": " + table);
    }
  }
}
