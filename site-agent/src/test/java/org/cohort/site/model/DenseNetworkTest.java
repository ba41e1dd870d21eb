package org.cohort.site.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.Feature;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class DenseNetworkTest {

  private static final ModelSpec LOGREG =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(3).build();
  private static final ModelSpec MLP =
      ModelSpec.newBuilder()
          .setKind("mlp")
          .setInputFeatures(3)
          .addHiddenSizes(5)
          .addHiddenSizes(4)
          .build();

  @Test
  void parametersRoundTripExactlyInLayoutOrder() {
    for (ModelSpec spec : List.of(LOGREG, MLP)) {
      float[] flat = ModelLayout.of(spec).initialParameters(11);
      flat[flat.length - 1] = 0.123456789f; // a bias, non-zero, with all its float bits
      flat[0] = Float.MIN_VALUE;
      assertArrayEquals(flat, new DenseNetwork(spec, flat).parameters());
    }
  }

  @Test
  void logitsFollowTheLayoutsRowMajorWeightsThenBias() {
    // W = [1, 2, 3]^T, b = 0.5: the logit of (1, 10, 100) is 1 + 20 + 300 + 0.5.
    DenseNetwork network = new DenseNetwork(LOGREG, new float[] {1, 2, 3, 0.5f});
    float[] logits =
        network.logits(
            LabelledMatrix.of(dataset(new float[] {1, 10, 100}, new float[] {1})).design());
    assertEquals(321.5f, logits[0], 1e-4f);
  }

  @Test
  void mlpTensorsAreReadInLayoutOrder() {
    // input 1 -> hidden 2 -> output: W0 = [[1, -1]], b0 = [0, 0], W1 = [[2], [3]], b1 = [0.25].
    ModelSpec spec =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(1).addHiddenSizes(2).build();
    DenseNetwork network = new DenseNetwork(spec, new float[] {1, -1, 0, 0, 2, 3, 0.25f});
    float[] logits =
        network.logits(
            LabelledMatrix.of(dataset(new float[] {2, -4}, new float[] {1, 0})).design());
    // x = 2: relu(2, -2) = (2, 0) -> 4.25; x = -4: relu(-4, 4) = (0, 4) -> 12.25.
    assertArrayEquals(new float[] {4.25f, 12.25f}, logits, 1e-5f);
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    for (ModelSpec spec : List.of(LOGREG, MLP)) {
      LabelledMatrix data = LabelledMatrix.of(randomDataset(40, 3, 5));
      float[] params = ModelLayout.of(spec).initialParameters(3);
      for (int i = 0; i < params.length; i++) {
        params[i] += 0.1f; // non-zero biases, so every path is exercised
      }
      DenseNetwork network = new DenseNetwork(spec, params);
      network.computeGradient(data.design(), data.labels());
      float[] analytic = gradientOf(network, spec);
      for (int i = 0; i < params.length; i++) {
        double h = 1e-2;
        double numeric =
            (loss(spec, perturbed(params, i, h), data) - loss(spec, perturbed(params, i, -h), data))
                / (2 * h);
        assertEquals(
            numeric,
            analytic[i],
            2e-3 + 2e-2 * Math.abs(numeric),
            spec.getKind() + " parameter " + i);
      }
    }
  }

  @Test
  void theProximalGradientAddsMuTimesTheDistanceFromTheAnchor() {
    LabelledMatrix data = LabelledMatrix.of(randomDataset(40, 3, 5));
    float[] params = ModelLayout.of(MLP).initialParameters(3);
    float[] anchor = ModelLayout.of(MLP).initialParameters(4);
    double mu = 0.75;
    DenseNetwork plain = new DenseNetwork(MLP, params);
    plain.computeGradient(data.design(), data.labels());
    DenseNetwork proximal = new DenseNetwork(MLP, params);
    proximal.computeGradient(data.design(), data.labels());
    proximal.addProximalGradient(Nd4j.createFromArray(anchor), mu);
    float[] without = gradientOf(plain, MLP);
    float[] with = gradientOf(proximal, MLP);
    for (int i = 0; i < params.length; i++) {
      assertEquals(mu * (params[i] - anchor[i]), with[i] - without[i], 1e-5, "parameter " + i);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> proximal.addProximalGradient(Nd4j.createFromArray(new float[2]), mu));
  }

  @Test
  void wrongParameterCountIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new DenseNetwork(LOGREG, new float[3]));
  }

  /** Reads the gradient by taking one SGD step with learning rate 1 from the given parameters. */
  private static float[] gradientOf(DenseNetwork network, ModelSpec spec) {
    float[] before = network.parameters();
    network.step(Optimizer.sgd(1.0));
    float[] after = network.parameters();
    float[] gradient = new float[before.length];
    for (int i = 0; i < before.length; i++) {
      gradient[i] = before[i] - after[i];
    }
    return gradient;
  }

  private static double loss(ModelSpec spec, float[] params, LabelledMatrix data) {
    DenseNetwork network = new DenseNetwork(spec, params);
    return Evaluation.fromLogits(network.logits(data.design()), data.labelValues()).loss();
  }

  private static float[] perturbed(float[] params, int index, double by) {
    float[] copy = params.clone();
    copy[index] += (float) by;
    return copy;
  }

  static Dataset dataset(float[] values, float[] labels) {
    int width = values.length / labels.length;
    List<Feature> features =
        IntStream.range(0, width).mapToObj(i -> Feature.continuous("x" + i)).toList();
    return new Dataset(features, values, labels);
  }

  static Dataset randomDataset(int rows, int width, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[rows * width];
    float[] labels = new float[rows];
    for (int r = 0; r < rows; r++) {
      double z = 0;
      for (int j = 0; j < width; j++) {
        values[r * width + j] = (float) random.nextGaussian();
        z += (j + 1) * values[r * width + j];
      }
      labels[r] = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
    }
    return dataset(values, labels);
  }
}
