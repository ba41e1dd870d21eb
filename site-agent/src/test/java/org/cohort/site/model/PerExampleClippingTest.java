package org.cohort.site.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.junit.jupiter.api.Test;

/**
 * {@link DenseNetwork#computeClippedGradientSum} against the definition, computed the slow way: one
 * {@link DenseNetwork#computeGradient} per example (the mean over a batch of one is that example's
 * own gradient), clipped and summed in double.
 */
class PerExampleClippingTest {

  private static final ModelSpec LOGREG =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(5).build();
  private static final ModelSpec MLP =
      ModelSpec.newBuilder()
          .setKind("mlp")
          .setInputFeatures(5)
          .addHiddenSizes(6)
          .addHiddenSizes(4)
          .build();

  @Test
  void clippedSumEqualsAPerExampleLoopWhetherAllSomeOrNoneAreClipped() {
    for (ModelSpec spec : List.of(LOGREG, MLP)) {
      LabelledMatrix batch = LabelledMatrix.of(DenseNetworkTest.randomDataset(24, 5, 7));
      float[] params = parametersWithNonZeroBiases(spec);
      double[] norms = perExampleNorms(spec, params, batch);
      double[] sorted = norms.clone();
      Arrays.sort(sorted);
      double allClipped = 0.5 * sorted[0];
      double halfClipped = sorted[sorted.length / 2];
      double noneClipped = 2 * sorted[sorted.length - 1];
      for (double clipNorm : new double[] {allClipped, halfClipped, noneClipped}) {
        double[][] naive = naiveClippedSum(spec, params, batch, clipNorm);
        DenseNetwork network = new DenseNetwork(spec, params);
        network.computeClippedGradientSum(batch.design(), batch.labels(), clipNorm);
        float[] vectorised = network.gradient();
        for (int k = 0; k < vectorised.length; k++) {
          // Relative 1e-6 of the coordinate's total absolute contribution Σ_j |clip(g_j)_k|,
          // absolute 1e-6 where that is below 1: float32 sums of 24 terms stay well inside.
          double tolerance = 1e-6 * Math.max(1, naive[1][k]);
          assertEquals(
              naive[0][k],
              vectorised[k],
              tolerance,
              spec.getKind() + " C=" + clipNorm + " parameter " + k);
        }
      }
    }
  }

  @Test
  void theClippedSumNeverExceedsBatchSizeTimesTheClipNorm() {
    for (ModelSpec spec : List.of(LOGREG, MLP)) {
      // Large features and parameters: every example's gradient is far above C.
      LabelledMatrix batch = LabelledMatrix.of(DenseNetworkTest.randomDataset(32, 5, 9));
      batch.design().muli(100);
      float[] params = parametersWithNonZeroBiases(spec);
      for (int i = 0; i < params.length; i++) {
        params[i] *= 10;
      }
      double clipNorm = 0.1;
      DenseNetwork network = new DenseNetwork(spec, params);
      network.computeClippedGradientSum(batch.design(), batch.labels(), clipNorm);
      assertTrue(norm(network.gradient()) <= 32 * clipNorm, spec.getKind());

      for (int row = 0; row < 32; row++) {
        LabelledMatrix one = batch.select(new int[] {row});
        network.computeClippedGradientSum(one.design(), one.labels(), clipNorm);
        double clipped = norm(network.gradient());
        String what = spec.getKind() + " row " + row;
        assertTrue(clipped <= clipNorm, what + ": " + clipped);
        if (perExampleNorms(spec, params, one)[0] > 2 * clipNorm) {
          assertTrue(clipped >= clipNorm * (1 - 1e-6), what + ": " + clipped);
        }
      }
    }
  }

  @Test
  void anExampleWithANonFiniteGradientContributesNothing() {
    for (ModelSpec spec : List.of(LOGREG, MLP)) {
      LabelledMatrix batch =
          LabelledMatrix.of(DenseNetworkTest.randomDataset(8, 5, 4)).select(new int[] {0, 1, 2, 3});
      batch.design().putScalar(1, 2, Float.NaN);
      batch.design().putScalar(3, 0, Float.POSITIVE_INFINITY);
      float[] params = parametersWithNonZeroBiases(spec);
      DenseNetwork network = new DenseNetwork(spec, params);
      network.computeClippedGradientSum(batch.design(), batch.labels(), 0.5);
      float[] withBadRows = network.gradient();
      LabelledMatrix finiteRows = batch.select(new int[] {0, 2});
      network.computeClippedGradientSum(finiteRows.design(), finiteRows.labels(), 0.5);
      assertArrayEquals(network.gradient(), withBadRows, 1e-6f, spec.getKind());
      assertTrue(Float.isNaN(batch.design().getFloat(1, 2)), "the caller's design is unchanged");
    }
  }

  @Test
  void badArgumentsAreRejected() {
    LabelledMatrix batch = LabelledMatrix.of(DenseNetworkTest.randomDataset(4, 5, 1));
    DenseNetwork network = new DenseNetwork(LOGREG, new float[6]);
    for (double clipNorm : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> network.computeClippedGradientSum(batch.design(), batch.labels(), clipNorm));
    }
    assertThrows(IllegalArgumentException.class, () -> network.setGradient(new float[5]));
  }

  private static float[] parametersWithNonZeroBiases(ModelSpec spec) {
    float[] params = ModelLayout.of(spec).initialParameters(3);
    for (int i = 0; i < params.length; i++) {
      params[i] += 0.1f;
    }
    return params;
  }

  private static float[] ownGradient(ModelSpec spec, float[] params, LabelledMatrix data, int row) {
    LabelledMatrix one = data.select(new int[] {row});
    DenseNetwork network = new DenseNetwork(spec, params);
    network.computeGradient(one.design(), one.labels());
    return network.gradient();
  }

  private static double[] perExampleNorms(ModelSpec spec, float[] params, LabelledMatrix data) {
    double[] norms = new double[data.rows()];
    for (int row = 0; row < data.rows(); row++) {
      norms[row] = norm(ownGradient(spec, params, data, row));
    }
    return norms;
  }

  /** {Σ_j clip(g_j), Σ_j |clip(g_j)|} per coordinate, in double. */
  private static double[][] naiveClippedSum(
      ModelSpec spec, float[] params, LabelledMatrix data, double clipNorm) {
    double[] sum = new double[params.length];
    double[] absoluteSum = new double[params.length];
    for (int row = 0; row < data.rows(); row++) {
      float[] g = ownGradient(spec, params, data, row);
      double scale = Math.min(1, clipNorm / norm(g));
      for (int k = 0; k < g.length; k++) {
        sum[k] += g[k] * scale;
        absoluteSum[k] += Math.abs(g[k] * scale);
      }
    }
    return new double[][] {sum, absoluteSum};
  }

  private static double norm(float[] values) {
    double squares = 0;
    for (float v : values) {
      squares += (double) v * v;
    }
    return Math.sqrt(squares);
  }
}
