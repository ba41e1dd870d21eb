package org.cohort.site.training;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.noise.GaussianNoise;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.Feature;
import org.cohort.site.model.DenseNetwork;
import org.cohort.site.model.LabelledMatrix;

/**
 * Not a test: wall and process CPU time of one local DP-SGD step on a ~1M-parameter mlp (64 →
 * [1000, 900] → 1) with expected batch 256, and of its parts. Run with OMP_NUM_THREADS=1 on the
 * test classpath (see the report of issue 11).
 */
public final class DpSgdStepTiming {

  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private DpSgdStepTiming() {}

  public static void main(String[] args) {
    int rows = 25_600;
    double q = 256.0 / rows;
    ModelSpec model =
        ModelSpec.newBuilder()
            .setKind("mlp")
            .setInputFeatures(64)
            .addHiddenSizes(1000)
            .addHiddenSizes(900)
            .build();
    float[] initial = ModelLayout.of(model).initialParameters(1);
    LabelledMatrix train = LabelledMatrix.of(randomDataset(rows, 64));
    LabelledMatrix batch = train.select(IntStream.range(0, 256).toArray());
    TrainingSettings adam =
        TrainingSettings.newBuilder()
            .setOptimizer(Optimizer.OPTIMIZER_ADAM)
            .setLearningRate(1e-3)
            .build();
    DenseNetwork network = new DenseNetwork(model, initial);
    GaussianNoise noise = GaussianNoise.create();
    float[] vector = new float[initial.length];
    System.out.printf("parameters %d, rows %d, q %.5f%n", initial.length, rows, q);
    for (int round = 0; round < 2; round++) { // the first round warms up the JIT and ND4J
      String prefix = round == 0 ? "warm-up " : "";
      time(
          prefix + "local DP-SGD step (sample, gather, clip, noise, Adam)",
          20,
          () ->
              DpSgd.fitPrivately(
                  model, adam, initial, train, q, 1.0, 1.0, 20, AesCtrDrbg.create()));
      time(
          prefix + "clipped gradient sum, batch 256",
          20,
          () -> {
            for (int i = 0; i < 20; i++) {
              network.computeClippedGradientSum(batch.design(), batch.labels(), 1.0);
            }
          });
      time(
          prefix + "plain mean gradient, batch 256 (reference)",
          20,
          () -> {
            for (int i = 0; i < 20; i++) {
              network.computeGradient(batch.design(), batch.labels());
            }
          });
      time(
          prefix + "Gaussian noise on all parameters",
          20,
          () -> {
            for (int i = 0; i < 20; i++) {
              noise.addTo(vector, 1.0);
            }
          });
    }
  }

  private static void time(String what, int repetitions, Runnable work) {
    long cpu = OS.getProcessCpuTime();
    long wall = System.nanoTime();
    work.run();
    double wallMs = (System.nanoTime() - wall) / 1e6 / repetitions;
    double cpuMs = (OS.getProcessCpuTime() - cpu) / 1e6 / repetitions;
    System.out.printf("%-60s wall %7.1f ms  cpu %7.1f ms  per step%n", what, wallMs, cpuMs);
  }

  private static Dataset randomDataset(int rows, int width) {
    SplittableRandom random = new SplittableRandom(3);
    float[] values = new float[rows * width];
    float[] labels = new float[rows];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    for (int r = 0; r < rows; r++) {
      labels[r] = values[r * width] + values[r * width + 1] > 0 ? 1f : 0f;
    }
    List<Feature> features =
        IntStream.range(0, width).mapToObj(i -> Feature.continuous("x" + i)).toList();
    return new Dataset(features, values, labels);
  }
}
