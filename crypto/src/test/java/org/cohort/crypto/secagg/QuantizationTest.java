package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class QuantizationTest {
  private static SecAggParameters parameters(
      int sites, int bits, double clip, long maxWeight, int length) {
    return new SecAggParameters(
        sites, length, GraphPlan.complete(sites, sites / 2 + 1), bits, clip, maxWeight);
  }

  @Test
  void scaleIsTheLargestPowerOfTwoThatCannotWrap() {
    SecAggParameters p = parameters(100, 32, 1.0, 1000, 10);
    // 100 · (1000 · 1 · s + 1) ≤ 2^31 − 1  ⇔  s ≤ 21474.8…  →  s = 2^14
    assertEquals(16384.0, p.scale());
    assertEquals(100 / 16384.0, p.sumErrorBound(100));
  }

  @Test
  void worstCaseSumOfAllSitesAtTheClipDoesNotWrap() {
    for (int bits : new int[] {16, 24, 32}) {
      int sites = 50;
      long maxWeight = bits == 16 ? 1 : 100;
      SecAggParameters p = parameters(sites, bits, 0.5, maxWeight, 4);
      Quantizer quantizer = new Quantizer(p);
      SecureRandom random = RoundHarness.deterministic(bits);
      int[] sum = new int[p.maskedLength()];
      for (int site = 0; site < sites; site++) {
        int[] q =
            quantizer.quantize(
                new float[] {100f, -100f, 0.5f, -0.5f}, maxWeight, new long[0], random);
        for (int i = 0; i < sum.length; i++) {
          sum[i] += q[i];
        }
      }
      for (int i = 0; i < sum.length; i++) {
        sum[i] &= p.residueMask();
      }
      Quantizer.AggregateResultValues values = quantizer.dequantize(sum);
      double exact = sites * maxWeight * 0.5;
      double bound = p.sumErrorBound(sites);
      assertEquals(exact, values.weightedSum()[0], bound, "bits=" + bits);
      assertEquals(-exact, values.weightedSum()[1], bound, "bits=" + bits);
      assertEquals(exact, values.weightedSum()[2], bound, "bits=" + bits);
      assertEquals(-exact, values.weightedSum()[3], bound, "bits=" + bits);
      assertEquals(sites * maxWeight, values.totalWeight());
    }
  }

  @Test
  void stochasticRoundingIsUnbiased() {
    SecAggParameters p = parameters(4, 32, 1.0, 1, 200_000);
    float value = (float) (3.25 / p.scale()); // three and a quarter quantization steps
    float[] update = new float[p.vectorLength()];
    java.util.Arrays.fill(update, value);
    int[] q = new Quantizer(p).quantize(update, 1, new long[0], RoundHarness.deterministic(1));
    long roundedUp = 0;
    for (int i = 0; i < update.length; i++) {
      assertTrue(q[i] == 3 || q[i] == 4);
      roundedUp += q[i] - 3;
    }
    // Binomial(200000, 0.25): sd ≈ 194; 8 sd makes a false failure practically impossible.
    assertEquals(50_000, roundedUp, 8 * Math.sqrt(200_000 * 0.25 * 0.75));
  }

  @Test
  void parametersThatCouldWrapAreRefusedNamingThem() {
    SecAggException.SumMayWrap tooNarrow =
        assertThrows(SecAggException.SumMayWrap.class, () -> parameters(100, 16, 1.0, 1000, 10));
    assertTrue(tooNarrow.getMessage().contains("sites=100"), tooNarrow.getMessage());
    assertTrue(tooNarrow.getMessage().contains("max_weight=1000"), tooNarrow.getMessage());
    assertTrue(tooNarrow.getMessage().contains("bits=16"), tooNarrow.getMessage());
    SecAggException.SumMayWrap resolution =
        assertThrows(
            SecAggException.SumMayWrap.class,
            () -> parameters(100, 24, 1.0, 1000, 10)); // scale 64 < 256 steps
    assertTrue(resolution.getMessage().contains("clip=1.0"), resolution.getMessage());
  }

  @Test
  void badUpdatesAndWeightsAreRefused() {
    SecAggParameters p = parameters(4, 32, 1.0, 10, 3);
    Quantizer quantizer = new Quantizer(p);
    SecureRandom random = RoundHarness.deterministic(2);
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[2], 1, new long[0], random));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[3], 11, new long[0], random));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[3], 0, new long[0], random));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[] {0, Float.NaN, 0}, 1, new long[0], random));
  }

  @Test
  void invalidGraphParametersAreRefused() {
    assertThrows(
        SecAggException.InvalidParameters.class, () -> GraphPlan.harary(4, 2)); // not a majority
    assertThrows(
        SecAggException.InvalidParameters.class, () -> GraphPlan.harary(5, 4)); // odd degree
    assertThrows(
        SecAggException.InvalidParameters.class, () -> GraphPlan.complete(10, 10)); // t > k
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> new SecAggParameters(10, 5, GraphPlan.harary(10, 6), 1.0, 1)); // k > n−1
  }

  @Test
  void countSlotsAreSummedExactlyEvenAtTheirBoundInANarrowRing() {
    int sites = 50;
    long maxWeight = 100;
    SecAggParameters p = parameters(sites, 16, 1.0, 1, 3).withCountSlots(3);
    assertThrows(SecAggException.InvalidParameters.class, () -> p.withCountSlots(-1));
    SecAggParameters wide = parameters(sites, 24, 1.0, maxWeight, 3).withCountSlots(3);
    Quantizer quantizer = new Quantizer(wide);
    SecureRandom random = RoundHarness.deterministic(7);
    int[] sum = new int[wide.maskedLength()];
    assertEquals(3 + 1 + 3, sum.length);
    for (int site = 0; site < sites; site++) {
      int[] q = quantizer.quantize(new float[3], 1, new long[] {maxWeight, site, 0}, random);
      for (int i = 0; i < sum.length; i++) {
        sum[i] = (sum[i] + q[i]) & wide.residueMask();
      }
    }
    long[] counts = quantizer.dequantize(sum).countSums();
    assertEquals(sites * maxWeight, counts[0]);
    assertEquals(sites * (sites - 1) / 2, counts[1]);
    assertEquals(0, counts[2]);
    assertEquals(3, p.countSlots());
  }

  @Test
  void countsOutsideTheirRangeOrOfTheWrongNumberAreRefused() {
    SecAggParameters p = parameters(4, 32, 1.0, 10, 2).withCountSlots(2);
    Quantizer quantizer = new Quantizer(p);
    SecureRandom random = RoundHarness.deterministic(3);
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[2], 1, new long[] {11, 0}, random));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[2], 1, new long[] {-1, 0}, random));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> quantizer.quantize(new float[2], 1, new long[] {1}, random));
  }
}
