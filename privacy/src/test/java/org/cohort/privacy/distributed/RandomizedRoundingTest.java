package org.cohort.privacy.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.junit.jupiter.api.Test;

class RandomizedRoundingTest {

  private static double[] randomVector(int n, double scale, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = random.nextGaussian() * scale;
    }
    return x;
  }

  @Test
  void unconditionalRoundingIsUnbiasedAndStaysOnTheNeighbouringIntegers() {
    double[] x = randomVector(16, 5, 1);
    int trials = 40_000;
    double[] sum = new double[x.length];
    int[] out = new int[x.length];
    AesCtrDrbg random = AesCtrDrbg.seeded(2);
    for (int t = 0; t < trials; t++) {
      assertEquals(1, RandomizedRounding.roundInto(x, 1, out, Double.POSITIVE_INFINITY, random));
      for (int i = 0; i < x.length; i++) {
        assertTrue(out[i] == Math.floor(x[i]) || out[i] == Math.floor(x[i]) + 1, "entry " + i);
        sum[i] += out[i];
      }
    }
    for (int i = 0; i < x.length; i++) {
      double fraction = x[i] - Math.floor(x[i]);
      double standardError = Math.sqrt(fraction * (1 - fraction) / trials);
      // 6 standard errors per coordinate: a biased rounding (e.g. to nearest) is off by up to 0.5.
      assertEquals(x[i], sum[i] / trials, 6 * standardError + 1e-12, "entry " + i);
    }
  }

  @Test
  void scaleIsAppliedBeforeRounding() {
    int[] out = new int[2];
    RandomizedRounding.roundInto(
        new double[] {0.75, -2.0}, 4, out, Double.POSITIVE_INFINITY, AesCtrDrbg.seeded(3));
    assertEquals(3, out[0]);
    assertEquals(-8, out[1]);
  }

  /**
   * The paper's bound for a vector of norm c on d coordinates with β = exp(-1/2): it holds with
   * probability at least 1 - β per draw, so rounding must redraw sometimes and must never return a
   * vector above it.
   */
  @Test
  void conditionalRoundingNeverExceedsItsBoundAndSometimesRedraws() {
    int d = 64;
    double c = 20;
    double[] x = randomVector(d, 1, 4);
    double norm = Math.sqrt(java.util.Arrays.stream(x).map(v -> v * v).sum());
    for (int i = 0; i < d; i++) {
      x[i] *= c / norm;
    }
    double beta = Math.exp(-0.5);
    double bound =
        Math.sqrt(c * c + d / 4.0 + Math.sqrt(2 * Math.log(1 / beta)) * (c + Math.sqrt(d) / 2));
    // Tightened below the paper's bound so that redraws are frequent enough to be seen.
    double tight = Math.sqrt(c * c + d / 8.0);
    AesCtrDrbg random = AesCtrDrbg.seeded(5);
    int[] out = new int[d];
    int redrawn = 0;
    int paperRedrawn = 0;
    for (int t = 0; t < 5_000; t++) {
      paperRedrawn += RandomizedRounding.roundInto(x, 1, out, bound * bound, random) - 1;
      assertTrue(squaredNorm(out) <= bound * bound);
      redrawn += RandomizedRounding.roundInto(x, 1, out, tight * tight, random) - 1;
      assertTrue(squaredNorm(out) <= tight * tight);
    }
    assertTrue(redrawn > 100, "the tight bound should force redraws, got " + redrawn);
    // The paper's bound fails with probability at most beta = 0.61; in practice far less often.
    assertTrue(paperRedrawn < 0.61 * 5_000 / (1 - 0.61), "paper bound redraws " + paperRedrawn);
  }

  @Test
  void impossibleBoundIsReportedNotLoopedOn() {
    double[] x = {10.5, 10.5};
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> RandomizedRounding.roundInto(x, 1, new int[2], 1, AesCtrDrbg.seeded(6)));
    assertTrue(e.getMessage().contains("clip norm"));
  }

  private static long squaredNorm(int[] v) {
    long sum = 0;
    for (int x : v) {
      sum += (long) x * x;
    }
    return sum;
  }
}
