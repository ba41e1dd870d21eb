package org.cohort.site.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.model.Evaluation;
import org.cohort.site.model.LabelledMatrix;

/**
 * Is federation worth it on a cohort? Trains, from the same initial parameters and with the same
 * settings, (1) a pooled model on every hospital's training rows (the centralised upper reference,
 * for {@code rounds} epochs), (2) one local-only model per hospital on its own training rows (also
 * {@code rounds} epochs) and (3) a federated model by in-process {@link FederatedAveraging} ({@code
 * rounds} rounds of {@code settings.epochs} local epochs), and evaluates all of them on the union
 * of every hospital's held-out rows.
 */
public final class CohortComparison {

  private CohortComparison() {}

  /**
   * Evaluations on the common test set; {@code local} is keyed by hospital name, in cohort order.
   */
  public record Result(Evaluation pooled, Evaluation federated, Map<String, Evaluation> local) {
    public Result {
      local = Collections.unmodifiableMap(new LinkedHashMap<>(local));
    }

    /** Federated AUROC as a fraction of pooled AUROC. */
    public double federatedShareOfPooled() {
      return federated.auroc() / pooled.auroc();
    }

    public double bestLocalAuroc() {
      return local.values().stream().mapToDouble(Evaluation::auroc).max().orElse(Double.NaN);
    }
  }

  public static Result run(
      SyntheticCohort.Cohort cohort,
      ModelSpec model,
      TrainingSettings settings,
      int rounds,
      long initialisationSeed) {
    float[] initial = ModelLayout.of(model).initialParameters(initialisationSeed);
    LabelledMatrix test = LabelledMatrix.of(cohort.pooledTest());
    TrainingSettings asManyEpochsAsRounds =
        settings.toBuilder().setEpochs(rounds * settings.getEpochs()).build();

    float[] pooled =
        ModelTraining.fit(model, asManyEpochsAsRounds, initial, cohort.pooledTrain()).parameters();

    Map<String, Evaluation> local = new LinkedHashMap<>();
    List<DatasetTrainer> sites = new ArrayList<>();
    for (SyntheticCohort.Hospital hospital : cohort.hospitals()) {
      Dataset own = hospital.split().train();
      float[] alone = ModelTraining.fit(model, asManyEpochsAsRounds, initial, own).parameters();
      local.put(hospital.profile().name(), ModelTraining.evaluate(model, alone, test));
      sites.add(new DatasetTrainer(hospital.split()));
    }
    float[] federated = FederatedAveraging.run(model, settings, initial, sites, rounds);
    return new Result(
        ModelTraining.evaluate(model, pooled, test),
        ModelTraining.evaluate(model, federated, test),
        local);
  }
}
