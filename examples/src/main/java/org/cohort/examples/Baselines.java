package org.cohort.examples;

import java.util.ArrayList;
import java.util.List;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.model.LabelledMatrix;
import org.cohort.site.training.ModelTraining;

/**
 * The two classic references a federated model is judged against, trained with the same code, model
 * kind, initial parameters and settings: each site alone, and all training rows pooled centrally.
 * They train for rounds x epochs epochs, the same passes over each row that federated averaging
 * made. Everything is scored on the union of the sites' held-out rows. Independent of the federated
 * model, so they can be trained while the federation runs.
 */
public final class Baselines {

  private final LabelledMatrix test;
  private final long testRows;
  private final long testPositives;
  private final long pooledTrainingRows;
  private final ModelSpec model;
  private final List<ModelScore> local;
  private final ModelScore pooled;

  private Baselines(ModelSpec model, Dataset testData, long pooledTrainingRows, List<ModelScore> local, ModelScore pooled) {
    this.model = model;
    this.test = LabelledMatrix.of(testData);
    this.testRows = testData.rows();
    this.testPositives = testData.positives();
    this.pooledTrainingRows = pooledTrainingRows;
    this.local = List.copyOf(local);
    this.pooled = pooled;
  }

  /**
   * @param perRound the settings each site uses in one round
   * @param modelSeed the coordinator's {@code model.seed} (initial parameters)
   */
  public static Baselines train(ModelSpec model, TrainingSettings perRound, int rounds, long modelSeed,
      List<SiteData> sites) {
    float[] initial = ModelLayout.of(model).initialParameters(modelSeed);
    TrainingSettings sameBudget = perRound.toBuilder().setEpochs(rounds * perRound.getEpochs()).build();
    Dataset testData = Dataset.concat(sites.stream().map(site -> site.split().holdout()).toList());
    LabelledMatrix test = LabelledMatrix.of(testData);
    Dataset pooledTrain = Dataset.concat(sites.stream().map(site -> site.split().train()).toList());

    List<ModelScore> local = new ArrayList<>();
    for (SiteData site : sites) {
      Dataset own = site.split().train();
      float[] alone = ModelTraining.fit(model, sameBudget, initial, own).parameters();
      local.add(new ModelScore(site.name() + " alone", ModelScore.Kind.LOCAL, own.rows(),
          ModelTraining.evaluate(model, alone, test)));
    }
    float[] pooled = ModelTraining.fit(model, sameBudget, initial, pooledTrain).parameters();
    return new Baselines(model, testData, pooledTrain.rows(), local, new ModelScore("pooled centrally",
        ModelScore.Kind.POOLED, pooledTrain.rows(), ModelTraining.evaluate(model, pooled, test)));
  }

  /** The federated model (trained on every site's training rows, which never left their sites) against the references. */
  public Comparison compareWith(String federatedName, float[] federatedParameters) {
    ModelScore federated = new ModelScore(federatedName, ModelScore.Kind.FEDERATED, pooledTrainingRows,
        ModelTraining.evaluate(model, federatedParameters, test));
    return new Comparison(testRows, testPositives, federated, local, pooled);
  }
}
