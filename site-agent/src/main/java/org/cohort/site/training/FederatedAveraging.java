package org.cohort.site.training;

import java.util.Arrays;
import java.util.List;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * Federated averaging (McMahan et al. 2017) over in-process trainers: each round every site trains
 * from the current global model, and the new global model is the example-weighted mean of their
 * results. No network, no secure aggregation, no privacy: this is the simulation used to compare
 * federated training with pooled and local-only baselines, not the federation itself.
 */
public final class FederatedAveraging {

  private FederatedAveraging() {}

  public static float[] run(
      ModelSpec model,
      TrainingSettings settings,
      float[] initialParameters,
      List<? extends LocalTrainer> sites,
      int rounds) {
    if (sites.isEmpty()) {
      throw new IllegalArgumentException("federated averaging needs at least one site");
    }
    if (rounds < 1) {
      throw new IllegalArgumentException("federated averaging needs at least one round");
    }
    float[] global = initialParameters.clone();
    double[] weightedSum = new double[global.length];
    for (int round = 0; round < rounds; round++) {
      Arrays.fill(weightedSum, 0.0);
      long totalExamples = 0;
      for (LocalTrainer site : sites) {
        LocalTrainer.Outcome outcome = site.train(model, settings, global);
        float[] local = outcome.newParameters();
        for (int i = 0; i < local.length; i++) {
          weightedSum[i] += (double) outcome.exampleCount() * local[i];
        }
        totalExamples += outcome.exampleCount();
      }
      for (int i = 0; i < global.length; i++) {
        global[i] = (float) (weightedSum[i] / totalExamples);
      }
    }
    return global;
  }
}
