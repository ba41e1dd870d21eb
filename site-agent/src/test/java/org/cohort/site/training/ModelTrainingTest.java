package org.cohort.site.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.Feature;
import org.junit.jupiter.api.Test;

class ModelTrainingTest {

  private static final Dataset DATA = xorLike(400, 4);

  /** Label = sign(x0 * x1 + 0.5 x2): learnable by both models, better by the mlp. */
  private static Dataset xorLike(int rows, int width) {
    SplittableRandom random = new SplittableRandom(17);
    float[] values = new float[rows * width];
    float[] labels = new float[rows];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < width; j++) {
        values[r * width + j] = (float) random.nextGaussian();
      }
      labels[r] =
          values[r * width] * values[r * width + 1] + 0.5 * values[r * width + 2] > 0 ? 1f : 0f;
    }
    List<Feature> features =
        IntStream.range(0, width).mapToObj(i -> Feature.continuous("x" + i)).toList();
    return new Dataset(features, values, labels);
  }

  @Test
  void everyModelAndOptimizerLowersTheTrainingLoss() {
    ModelSpec logreg = ModelSpec.newBuilder().setKind("logreg").setInputFeatures(4).build();
    ModelSpec mlp =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(4).addHiddenSizes(16).build();
    for (ModelSpec model : List.of(logreg, mlp)) {
      for (Optimizer optimizer : List.of(Optimizer.OPTIMIZER_SGD, Optimizer.OPTIMIZER_ADAM)) {
        float[] initial = ModelLayout.of(model).initialParameters(1);
        double before = ModelTraining.evaluate(model, initial, DATA).loss();
        TrainingSettings settings =
            TrainingSettings.newBuilder()
                .setEpochs(10)
                .setBatchSize(32)
                .setLearningRate(optimizer == Optimizer.OPTIMIZER_SGD ? 0.2 : 0.02)
                .setOptimizer(optimizer)
                .setSeed(3)
                .build();
        ModelTraining.Fit fit = ModelTraining.fit(model, settings, initial, DATA);
        String what = model.getKind() + "/" + optimizer;
        assertTrue(
            fit.trainLoss() < before * 0.95, what + ": " + before + " -> " + fit.trainLoss());
        if (model == mlp) {
          assertTrue(ModelTraining.evaluate(model, fit.parameters(), DATA).accuracy() > 0.8, what);
        }
      }
    }
  }

  @Test
  void trainingIsDeterministicForAGivenSeed() {
    ModelSpec mlp =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(4).addHiddenSizes(8).build();
    TrainingSettings settings =
        TrainingSettings.newBuilder()
            .setEpochs(2)
            .setBatchSize(50)
            .setLearningRate(0.01)
            .setOptimizer(Optimizer.OPTIMIZER_ADAM)
            .setSeed(11)
            .build();
    float[] initial = ModelLayout.of(mlp).initialParameters(2);
    assertArrayEquals(
        ModelTraining.fit(mlp, settings, initial, DATA).parameters(),
        ModelTraining.fit(mlp, settings, initial, DATA).parameters());
  }

  @Test
  void aLargeProximalMuKeepsTheTrainedWeightsCloseToTheGlobalModel() {
    ModelSpec mlp =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(4).addHiddenSizes(8).build();
    float[] global = ModelLayout.of(mlp).initialParameters(5);
    for (Optimizer optimizer : List.of(Optimizer.OPTIMIZER_SGD, Optimizer.OPTIMIZER_ADAM)) {
      TrainingSettings plain =
          TrainingSettings.newBuilder()
              .setEpochs(5)
              .setBatchSize(32)
              .setLearningRate(optimizer == Optimizer.OPTIMIZER_SGD ? 0.2 : 0.02)
              .setOptimizer(optimizer)
              .setSeed(7)
              .build();
      double free = distance(ModelTraining.fit(mlp, plain, global, DATA).parameters(), global);
      double held =
          distance(
              ModelTraining.fit(mlp, plain.toBuilder().setProximalMu(2).build(), global, DATA)
                  .parameters(),
              global);
      assertTrue(
          held < 0.5 * free,
          optimizer + ": ||w - w_global|| " + free + " without, " + held + " with mu = 2");
    }
  }

  @Test
  void aZeroProximalMuIsPlainTraining() {
    ModelSpec mlp =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(4).addHiddenSizes(8).build();
    TrainingSettings settings =
        TrainingSettings.newBuilder()
            .setEpochs(2)
            .setBatchSize(50)
            .setLearningRate(0.01)
            .setOptimizer(Optimizer.OPTIMIZER_ADAM)
            .setSeed(11)
            .build();
    float[] initial = ModelLayout.of(mlp).initialParameters(2);
    float[] plain = ModelTraining.fit(mlp, settings, initial, DATA).parameters();
    assertArrayEquals(
        plain,
        ModelTraining.fit(mlp, settings.toBuilder().setProximalMu(0).build(), initial, DATA)
            .parameters());
    assertFalse(
        Arrays.equals(
            plain,
            ModelTraining.fit(mlp, settings.toBuilder().setProximalMu(1e-3).build(), initial, DATA)
                .parameters()),
        "any positive mu changes the trajectory");
  }

  @Test
  void aNegativeOrInfiniteProximalMuIsRefused() {
    ModelSpec logreg = ModelSpec.newBuilder().setKind("logreg").setInputFeatures(4).build();
    float[] initial = ModelLayout.of(logreg).initialParameters(1);
    for (double mu : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
      TrainingSettings settings =
          TrainingSettings.newBuilder()
              .setEpochs(1)
              .setBatchSize(8)
              .setLearningRate(0.1)
              .setOptimizer(Optimizer.OPTIMIZER_SGD)
              .setProximalMu(mu)
              .build();
      assertEquals(
          "training.proximal_mu",
          assertThrows(
                  InvalidTaskException.class,
                  () -> ModelTraining.fit(logreg, settings, initial, DATA))
              .field());
    }
  }

  private static double distance(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
    }
    return Math.sqrt(sum);
  }
}
