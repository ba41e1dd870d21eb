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
 * made. Everything is scored on the union of the sites' held-out rows and on each site's own.
 * Independent of the federated model, so they can be trained while the federation runs.
 */
public final class Baselines {

  private final ModelSpec model;
  private final TestSets tests;
  private final long pooledTrainingRows;
  private final List<ModelScore> local;
  private final ModelScore pooled;

  /** The common test set and each site's own held-out rows, in site order. */
  private record TestSets(
      Dataset all, LabelledMatrix allMatrix, List<String> sites, List<LabelledMatrix> perSite) {

    static TestSets of(List<SiteData> sites) {
      Dataset all = Dataset.concat(sites.stream().map(site -> site.split().holdout()).toList());
      return new TestSets(
          all,
          LabelledMatrix.of(all),
          sites.stream().map(SiteData::name).toList(),
          sites.stream().map(site -> LabelledMatrix.of(site.split().holdout())).toList());
    }

    ModelScore score(
        String name, ModelScore.Kind kind, long trainingRows, ModelSpec model, float[] parameters) {
      List<ModelScore.SiteScore> perSiteScores = new ArrayList<>();
      for (int i = 0; i < sites.size(); i++) {
        perSiteScores.add(
            new ModelScore.SiteScore(
                sites.get(i), ModelTraining.evaluate(model, parameters, perSite.get(i))));
      }
      return new ModelScore(
          name,
          kind,
          trainingRows,
          ModelTraining.evaluate(model, parameters, allMatrix),
          perSiteScores);
    }
  }

  private Baselines(
      ModelSpec model,
      TestSets tests,
      long pooledTrainingRows,
      List<ModelScore> local,
      ModelScore pooled) {
    this.model = model;
    this.tests = tests;
    this.pooledTrainingRows = pooledTrainingRows;
    this.local = List.copyOf(local);
    this.pooled = pooled;
  }

  /**
   * @param perRound the settings each site uses in one round
   * @param modelSeed the coordinator's {@code model.seed} (initial parameters)
   */
  public static Baselines train(
      ModelSpec model,
      TrainingSettings perRound,
      int rounds,
      long modelSeed,
      List<SiteData> sites) {
    float[] initial = ModelLayout.of(model).initialParameters(modelSeed);
    TrainingSettings sameBudget =
        perRound.toBuilder().setEpochs(rounds * perRound.getEpochs()).build();
    TestSets tests = TestSets.of(sites);
    Dataset pooledTrain = Dataset.concat(sites.stream().map(site -> site.split().train()).toList());

    List<ModelScore> local = new ArrayList<>();
    for (SiteData site : sites) {
      Dataset own = site.split().train();
      float[] alone = ModelTraining.fit(model, sameBudget, initial, own).parameters();
      local.add(
          tests.score(site.name() + " alone", ModelScore.Kind.LOCAL, own.rows(), model, alone));
    }
    float[] pooled = ModelTraining.fit(model, sameBudget, initial, pooledTrain).parameters();
    return new Baselines(
        model,
        tests,
        pooledTrain.rows(),
        local,
        tests.score("pooled centrally", ModelScore.Kind.POOLED, pooledTrain.rows(), model, pooled));
  }

  /**
   * The federated model (trained on every site's training rows, which never left their sites)
   * against the references.
   */
  public Comparison compareWith(String federatedName, float[] federatedParameters) {
    ModelScore federated =
        tests.score(
            federatedName,
            ModelScore.Kind.FEDERATED,
            pooledTrainingRows,
            model,
            federatedParameters);
    return new Comparison(tests.all().rows(), tests.all().positives(), federated, local, pooled);
  }
}
