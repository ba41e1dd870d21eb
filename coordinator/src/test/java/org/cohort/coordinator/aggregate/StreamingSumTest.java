package org.cohort.coordinator.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingSumTest {

  @Test
  void weightedMeanOfTwoSitesWorkedOutByHand() {
    try (StreamingSum sum = new StreamingSum(3)) {
      float[] reused = {1f, 2f, -3f};
      sum.add("site-a", reused, 1);
      reused[0] = 3f; // the caller refills its buffer right after add()
      reused[1] = 4f;
      reused[2] = 5f;
      sum.add("site-b", reused, 3);
      AggregateUpdate result = sum.result();
      // ((1·1 + 3·3) / 4, (1·2 + 3·4) / 4, (1·(−3) + 3·5) / 4)
      assertArrayEquals(new float[] {2.5f, 3.5f, 3f}, result.delta());
      assertEquals(4, result.totalWeight());
      assertEquals(2, result.contributions());
    }
  }

  @Test
  void weightedMeanOfManySitesMatchesAPlainLoop() {
    Random random = new Random(11);
    int sites = 7;
    int elements = 1000;
    float[][] deltas = new float[sites][elements];
    long[] weights = new long[sites];
    try (StreamingSum sum = new StreamingSum(elements)) {
      for (int s = 0; s < sites; s++) {
        for (int i = 0; i < elements; i++) {
          deltas[s][i] = (float) random.nextGaussian();
        }
        weights[s] = 1 + random.nextInt(5000);
        sum.add("site-" + s, deltas[s], weights[s]);
      }
      float[] mean = sum.result().delta();
      long total = 0;
      for (long w : weights) {
        total += w;
      }
      for (int i = 0; i < elements; i++) {
        double expected = 0;
        for (int s = 0; s < sites; s++) {
          expected += (double) weights[s] * deltas[s][i] / total;
        }
        assertEquals(expected, mean[i], 1e-6, "element " + i);
      }
      assertEquals(total, sum.totalWeight());
      assertEquals(sites, sum.contributions());
    }
  }

  @Test
  void rejectsAWrongLengthANonFiniteValueAndAZeroWeightWithoutCountingThem() {
    try (StreamingSum sum = new StreamingSum(12)) {
      assertEquals(
          "update from site-a has 10 elements, the model has 12",
          assertThrows(IllegalArgumentException.class, () -> sum.add("site-a", new float[10], 5))
              .getMessage());
      float[] poisoned = new float[12];
      poisoned[11] = Float.NaN;
      assertEquals(
          "update from site-b contains a non-finite value",
          assertThrows(IllegalArgumentException.class, () -> sum.add("site-b", poisoned, 5))
              .getMessage());
      poisoned[11] = Float.NEGATIVE_INFINITY;
      assertThrows(IllegalArgumentException.class, () -> sum.add("site-b", poisoned, 5));
      assertEquals(
          "update from site-c has a weight below 1",
          assertThrows(IllegalArgumentException.class, () -> sum.add("site-c", new float[12], 0))
              .getMessage());
      assertEquals(0, sum.contributions());
      assertEquals(0, sum.totalWeight());
      float[] ones = new float[12];
      Arrays.fill(ones, 1f);
      sum.add("site-d", ones, 2);
      assertArrayEquals(ones, sum.result().delta());
    }
  }
}
