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
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.Feature;
import org.cohort.site.model.DenseNetwork;
import org.cohort.site.model.LabelledMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class DpSgdTest {

  private static final ModelSpec LOGREG =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(4).build();
  private static final ModelSpec MLP =
      ModelSpec.newBuilder().setKind("mlp").setInputFeatures(4).addHiddenSizes(32).build();
  private static final LabelledMatrix SEPARABLE = LabelledMatrix.of(separable(400));

  /** Label = [x0 + 0.5 x1 - x3 > 0]: linearly separable. */
  private static Dataset separable(int rows) {
    SplittableRandom random = new SplittableRandom(5);
    int width = 4;
    float[] values = new float[rows * width];
    float[] labels = new float[rows];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < width; j++) {
        values[r * width + j] = (float) random.nextGaussian();
      }
      int at = r * width;
      labels[r] = values[at] + 0.5 * values[at + 1] - values[at + 3] > 0 ? 1f : 0f;
    }
    List<Feature> features =
        IntStream.range(0, width).mapToObj(i -> Feature.continuous("x" + i)).toList();
    return new Dataset(features, values, labels);
  }

  private static TrainingSettings settings(Optimizer optimizer, double learningRate) {
    return TrainingSettings.newBuilder()
        .setOptimizer(optimizer)
        .setLearningRate(learningRate)
        .build();
  }

  @Test
  void poissonSampleSizesStayWithinTheirBinomialBounds() {
    int rows = 20_000;
    double q = 0.05;
    // Binomial(20000, 0.05): mean 1000, sd sqrt(20000 * 0.05 * 0.95) ≈ 30.8; 6 sd fail w.p. 2e-9.
    double sd = Math.sqrt(rows * q * (1 - q));
    AesCtrDrbg random = AesCtrDrbg.create();
    int[] previous = null;
    for (int call = 0; call < 5; call++) {
      int[] sample = DpSgd.poissonSample(rows, q, random);
      assertTrue(Math.abs(sample.length - rows * q) <= 6 * sd, "sample size " + sample.length);
      for (int i = 0; i < sample.length; i++) {
        assertTrue(sample[i] >= 0 && sample[i] < rows);
        assertTrue(i == 0 || sample[i] > sample[i - 1], "increasing and distinct");
      }
      if (previous != null) {
        assertFalse(Arrays.equals(previous, sample), "a new sample every call");
      }
      previous = sample;
    }
    assertEquals(rows, DpSgd.poissonSample(rows, 1.0, random).length);
  }

  @Test
  void everyRowIsSampledAtRateQ() {
    // 400 samples of 40 rows at q = 0.25: each row's count is Binomial(400, 0.25), mean 100, sd
    // 8.7. A sampler biased towards some rows (or not independent across calls) leaves the band.
    int rows = 40;
    int calls = 400;
    int[] counts = new int[rows];
    AesCtrDrbg random = AesCtrDrbg.create();
    for (int call = 0; call < calls; call++) {
      for (int row : DpSgd.poissonSample(rows, 0.25, random)) {
        counts[row]++;
      }
    }
    double sd = Math.sqrt(calls * 0.25 * 0.75);
    for (int row = 0; row < rows; row++) {
      assertTrue(Math.abs(counts[row] - calls * 0.25) <= 5 * sd, "row " + row + ": " + counts[row]);
    }
  }

  @Test
  void anEmptySampleGivesTheZeroSum() {
    float[] params = ModelLayout.of(MLP).initialParameters(1);
    // q = 1e-12 over 400 rows: a non-empty sample has probability 4e-10.
    DpSgd.ClippedGradientSum result =
        DpSgd.clippedGradientSum(MLP, params, SEPARABLE, 1e-12, 1.0, AesCtrDrbg.create());
    assertEquals(0, result.sampleSize());
    assertArrayEquals(new float[params.length], result.sum());
  }

  @Test
  void withEveryRowSampledTheSumIsTheNetworksClippedSumOverAllRows() {
    float[] params = ModelLayout.of(MLP).initialParameters(2);
    DpSgd.ClippedGradientSum result =
        DpSgd.clippedGradientSum(MLP, params, SEPARABLE, 1.0, 0.5, AesCtrDrbg.create());
    DenseNetwork network = new DenseNetwork(MLP, params);
    network.computeClippedGradientSum(SEPARABLE.design(), SEPARABLE.labels(), 0.5);
    assertEquals(SEPARABLE.rows(), result.sampleSize());
    assertArrayEquals(network.gradient(), result.sum());
    assertFalse(result.toString().contains("400"), "the sample size stays out of logs");
  }

  @Test
  void localDpSgdWithLittleNoiseLearnsASeparableSet() {
    for (ModelSpec model : List.of(LOGREG, MLP)) {
      for (Optimizer optimizer : List.of(Optimizer.OPTIMIZER_SGD, Optimizer.OPTIMIZER_ADAM)) {
        float[] initial = ModelLayout.of(model).initialParameters(1);
        double before = ModelTraining.evaluate(model, initial, SEPARABLE).loss();
        double rate = optimizer == Optimizer.OPTIMIZER_SGD ? 0.5 : 0.02;
        float[] trained =
            DpSgd.fitPrivately(
                model,
                settings(optimizer, rate),
                initial,
                SEPARABLE,
                0.1,
                1.0,
                1e-3,
                200,
                AesCtrDrbg.create());
        var after = ModelTraining.evaluate(model, trained, SEPARABLE);
        String what = model.getKind() + "/" + optimizer + ": " + before + " -> " + after.loss();
        assertTrue(after.loss() < 0.6 * before, what);
        assertTrue(after.accuracy() > 0.9, what + ", accuracy " + after.accuracy());
      }
    }
  }

  @Test
  void withHugeNoiseOneStepIsNoiseOfTheCalibratedSize() {
    // One SGD step moves every parameter by -lr (sum + noise) / (q N). The noise-free part is at
    // most lr · |sample| · C / (q N) ≈ lr in norm over all 193 parameters, the noise lr · z · C /
    // (q N) = 250 lr per coordinate: the step's RMS must be within 20% of that (its sampling sd
    // over 193 coordinates is about 5%).
    float[] initial = ModelLayout.of(MLP).initialParameters(4);
    double lr = 0.01;
    double q = 0.1;
    double z = 1e4;
    double clipNorm = 1.0;
    float[] after =
        DpSgd.fitPrivately(
            MLP,
            settings(Optimizer.OPTIMIZER_SGD, lr),
            initial,
            SEPARABLE,
            q,
            clipNorm,
            z,
            1,
            AesCtrDrbg.create());
    double rms = distance(after, initial) / Math.sqrt(initial.length);
    double expected = lr * z * clipNorm / (q * SEPARABLE.rows());
    assertTrue(rms > 0.8 * expected && rms < 1.2 * expected, rms + " vs " + expected);
  }

  @Test
  void theProximalTermKeepsLocalDpSgdNearItsStart() {
    float[] initial = ModelLayout.of(MLP).initialParameters(6);
    TrainingSettings plain = settings(Optimizer.OPTIMIZER_SGD, 0.01);
    TrainingSettings proximal = plain.toBuilder().setProximalMu(50).build();
    double free = distance(fitWithLittleNoise(plain, initial), initial);
    double anchored = distance(fitWithLittleNoise(proximal, initial), initial);
    assertTrue(anchored < 0.5 * free, anchored + " vs " + free);
  }

  private static float[] fitWithLittleNoise(TrainingSettings settings, float[] initial) {
    return DpSgd.fitPrivately(
        MLP, settings, initial, SEPARABLE, 0.1, 1.0, 1e-3, 300, AesCtrDrbg.create());
  }

  private static double distance(float[] a, float[] b) {
    double squares = 0;
    for (int i = 0; i < a.length; i++) {
      squares += Math.pow(a[i] - b[i], 2);
    }
    return Math.sqrt(squares);
  }

  @Test
  void invalidPrivacyParametersNameTheirField() {
    float[] p = ModelLayout.of(LOGREG).initialParameters(1);
    TrainingSettings sgd = settings(Optimizer.OPTIMIZER_SGD, 0.1);
    AesCtrDrbg r = AesCtrDrbg.create();
    assertField(
        "privacy.sampling_rate", () -> DpSgd.clippedGradientSum(LOGREG, p, SEPARABLE, 0, 1, r));
    assertField(
        "privacy.sampling_rate", () -> DpSgd.clippedGradientSum(LOGREG, p, SEPARABLE, 1.5, 1, r));
    assertField(
        "privacy.clip_norm", () -> DpSgd.clippedGradientSum(LOGREG, p, SEPARABLE, 0.1, 0, r));
    assertField(
        "privacy.noise_multiplier",
        () -> DpSgd.fitPrivately(LOGREG, sgd, p, SEPARABLE, 0.1, 1, 0, 1, r));
    assertField(
        "privacy.steps", () -> DpSgd.fitPrivately(LOGREG, sgd, p, SEPARABLE, 0.1, 1, 1, 0, r));
    assertField(
        "training.learning_rate",
        () ->
            DpSgd.fitPrivately(
                LOGREG, settings(Optimizer.OPTIMIZER_SGD, 0), p, SEPARABLE, 0.1, 1, 1, 1, r));
  }

  private static void assertField(String field, Executable call) {
    assertEquals(field, assertThrows(InvalidTaskException.class, call).field());
  }
}
