package org.cohort.coordinator.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobustAggregatorsTest {

  private static final long LARGE_BUDGET = 1L << 30;

  /** How each robust aggregator is built, so every scenario runs against all four. */
  private interface Factory {
    UpdateAggregator create(int elements, Path spill, long memoryBudgetBytes);
  }

  private record Robust(String name, Factory factory) {}

  private static final List<Robust> ALL =
      List.of(
          new Robust("median", CoordinateMedian::new),
          new Robust(
              "trimmed-mean",
              (elements, spill, budget) -> new TrimmedMean(elements, 0.2, spill, budget)),
          new Robust("krum", (elements, spill, budget) -> new Krum(elements, 1, 1, spill, budget)),
          new Robust(
              "multi-krum", (elements, spill, budget) -> new Krum(elements, 1, 3, spill, budget)));

  /**
   * Adds every update through one reused buffer, as the coordinator does, then takes the result and
   * closes.
   */
  private static AggregateUpdate aggregate(UpdateAggregator aggregator, float[][] updates) {
    try (aggregator) {
      float[] reused = new float[updates[0].length];
      for (int s = 0; s < updates.length; s++) {
        System.arraycopy(updates[s], 0, reused, 0, reused.length);
        aggregator.add("site-" + s, reused, 100 + s);
      }
      return aggregator.result();
    }
  }

  private static float[][] randomUpdates(int sites, int elements, long seed) {
    Random random = new Random(seed);
    float[][] updates = new float[sites][elements];
    for (float[] update : updates) {
      for (int i = 0; i < elements; i++) {
        update[i] = (float) random.nextGaussian();
      }
    }
    return updates;
  }

  @Test
  void oneUpdateScaledByAMillionMovesTheMeanButNotTheRobustAggregates(@TempDir Path spill) {
    int elements = 64;
    Random random = new Random(3);
    float[][] updates = new float[5][elements];
    for (int s = 0; s < 4; s++) {
      for (int i = 0; i < elements; i++) {
        updates[s][i] = (float) (1 + 0.5 * Math.sin(i) + 0.01 * (2 * random.nextDouble() - 1));
      }
    }
    for (int i = 0; i < elements; i++) {
      updates[4][i] = 1e6f * updates[0][i];
    }
    // Reference: the four honest updates' coordinate-wise median and their widest coordinate range.
    float[] honestMedian = new float[elements];
    double spread = 0;
    for (int i = 0; i < elements; i++) {
      float[] column = {updates[0][i], updates[1][i], updates[2][i], updates[3][i]};
      Arrays.sort(column);
      honestMedian[i] = (column[1] + column[2]) / 2;
      spread = Math.max(spread, column[3] - column[0]);
    }
    assertTrue(spread < 0.02);

    double meanError = maxDistance(aggregate(new StreamingSum(elements), updates), honestMedian);
    assertTrue(meanError > 1e4, "the mean is off by " + meanError);
    for (Robust robust : ALL) {
      double error =
          maxDistance(
              aggregate(robust.factory().create(elements, spill, LARGE_BUDGET), updates),
              honestMedian);
      assertTrue(
          error <= spread,
          robust.name() + " is off by " + error + ", the honest spread is " + spread);
    }
    // Krum returns one update as it is, and it is an honest one.
    float[] krum = aggregate(new Krum(elements, 1, 1, spill, LARGE_BUDGET), updates).delta();
    assertTrue(Stream.of(updates).limit(4).anyMatch(honest -> Arrays.equals(honest, krum)));
  }

  private static double maxDistance(AggregateUpdate aggregate, float[] reference) {
    double max = 0;
    for (int i = 0; i < reference.length; i++) {
      max = Math.max(max, Math.abs(aggregate.delta()[i] - reference[i]));
    }
    return max;
  }

  @Test
  void medianTakesTheMiddleValueOrTheMeanOfTheMiddleTwo(@TempDir Path spill) {
    float[][] three = {{1, 10, -2}, {3, 0, -1}, {2, 5, 7}};
    assertArrayEquals(
        new float[] {2, 5, -1},
        aggregate(new CoordinateMedian(3, spill, LARGE_BUDGET), three).delta());
    float[][] four = {{1, 10, -2}, {3, 0, -1}, {2, 5, 7}, {100, -100, 0}};
    // sorted columns: (1, 2, 3, 100), (−100, 0, 5, 10), (−2, −1, 0, 7)
    assertArrayEquals(
        new float[] {2.5f, 2.5f, -0.5f},
        aggregate(new CoordinateMedian(3, spill, LARGE_BUDGET), four).delta());
  }

  @Test
  void trimmedMeanDropsFloorBetaNAtEachEndAndIgnoresWeights(@TempDir Path spill) {
    float[][] five = {{1, -50}, {100, 0}, {3, 2}, {2, 0}, {4, 1}};
    // beta 0.2, n 5: drop 1 each end; (2 + 3 + 4) / 3 and (0 + 0 + 1) / 3, whatever the weights.
    AggregateUpdate trimmed = aggregate(new TrimmedMean(2, 0.2, spill, LARGE_BUDGET), five);
    assertArrayEquals(new float[] {3f, 1f / 3}, trimmed.delta());
    assertEquals(100 + 101 + 102 + 103 + 104, trimmed.totalWeight());
    assertEquals(5, trimmed.contributions());
    // beta 0.1, n 5: floor(0.5) = 0, so the plain unweighted mean (110 / 5, −47 / 5).
    assertArrayEquals(
        new float[] {22f, -9.4f},
        aggregate(new TrimmedMean(2, 0.1, spill, LARGE_BUDGET), five).delta(),
        1e-6f);
    assertThrows(
        IllegalArgumentException.class, () -> new TrimmedMean(2, 0.5, spill, LARGE_BUDGET));
  }

  @Test
  void krumScoresBySquaredDistanceToTheNearestNMinusFMinus2(@TempDir Path spill) {
    // Points x·(1, 2) for x = 100, 4.5, 0, 3, 1, so squared distances are 5·Δx². With f = 1 each
    // score sums the 2 nearest: x=1: 5·(1 + 4) = 25; x=3: 5·(4 + 2.25) = 31.25; x=0: 5·(1 + 9) =
    // 50;
    // x=4.5: 5·(2.25 + 12.25) = 72.5; x=100 is far off.
    float[][] points = {{100, 200}, {4.5f, 9}, {0, 0}, {3, 6}, {1, 2}};
    assertArrayEquals(
        new float[] {1, 2}, aggregate(new Krum(2, 1, 1, spill, LARGE_BUDGET), points).delta());
    assertArrayEquals(
        new float[] {2, 4}, aggregate(new Krum(2, 1, 2, spill, LARGE_BUDGET), points).delta());
    assertArrayEquals(
        new float[] {4f / 3, 8f / 3},
        aggregate(new Krum(2, 1, 3, spill, LARGE_BUDGET), points).delta(),
        1e-6f);
  }

  @Test
  void krumRefusesTooFewUpdatesForItsGuarantee(@TempDir Path spill) {
    float[][] four = randomUpdates(4, 3, 5);
    TooFewUpdatesException e =
        assertThrows(
            TooFewUpdatesException.class,
            () -> aggregate(new Krum(3, 1, 1, spill, LARGE_BUDGET), four));
    assertEquals(
        "krum with byzantine = 1 and select = 1 needs at least 5 updates (2·byzantine + 3 and "
            + "byzantine + select); the round has 4",
        e.getMessage());
    assertEquals(5, e.required());
    assertEquals(4, e.received());
    float[][] five = randomUpdates(5, 3, 5);
    e =
        assertThrows(
            TooFewUpdatesException.class,
            () -> aggregate(new Krum(3, 1, 5, spill, LARGE_BUDGET), five));
    assertEquals(6, e.required());
  }

  @Test
  void aTinyMemoryBudgetGivesTheSameResultAsALargeOne(@TempDir Path spill) {
    // 1003 elements: a 1-byte budget reads one column at a time; 140 bytes reads 7 (140 / (5 × 4)),
    // which leaves a short last block.
    float[][] updates = randomUpdates(5, 1003, 17);
    for (Robust robust : ALL) {
      float[] large =
          aggregate(robust.factory().create(1003, spill, LARGE_BUDGET), updates).delta();
      assertArrayEquals(
          large,
          aggregate(robust.factory().create(1003, spill, 1), updates).delta(),
          robust.name());
      assertArrayEquals(
          large,
          aggregate(robust.factory().create(1003, spill, 140), updates).delta(),
          robust.name());
    }
  }

  @Test
  void updatesAreSpilledAsLittleEndianFloatsAndCloseDeletesTheFile(@TempDir Path root)
      throws Exception {
    Path spill = root.resolve("spill"); // created on demand
    float[][] updates = randomUpdates(3, 10, 23);
    for (Robust robust : ALL) {
      UpdateAggregator aggregator = robust.factory().create(10, spill, LARGE_BUDGET);
      for (int s = 0; s < updates.length; s++) {
        aggregator.add("site-" + s, updates[s], 1);
      }
      List<Path> files;
      try (Stream<Path> listing = Files.list(spill)) {
        files = listing.toList();
      }
      assertEquals(1, files.size(), robust.name());
      ByteBuffer bytes =
          ByteBuffer.wrap(Files.readAllBytes(files.get(0))).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(3 * 10 * 4, bytes.remaining());
      for (float[] update : updates) {
        for (float value : update) {
          assertEquals(value, bytes.getFloat());
        }
      }
      aggregator.close();
      aggregator.close(); // idempotent
      try (Stream<Path> listing = Files.list(spill)) {
        assertEquals(0, listing.count(), robust.name() + " left its spill file");
      }
    }
  }

  @Test
  void rejectedUpdatesAreNotSpilled(@TempDir Path spill) throws Exception {
    for (Robust robust : ALL) {
      try (UpdateAggregator aggregator = robust.factory().create(12, spill, LARGE_BUDGET)) {
        assertEquals(
            "update from site-a has 10 elements, the model has 12",
            assertThrows(
                    IllegalArgumentException.class,
                    () -> aggregator.add("site-a", new float[10], 1))
                .getMessage());
        float[] poisoned = new float[12];
        poisoned[3] = Float.POSITIVE_INFINITY;
        assertEquals(
            "update from site-b contains a non-finite value",
            assertThrows(
                    IllegalArgumentException.class, () -> aggregator.add("site-b", poisoned, 1))
                .getMessage());
        aggregator.add("site-c", new float[12], 7);
        assertEquals(1, aggregator.contributions());
        assertEquals(7, aggregator.totalWeight());
        try (Stream<Path> listing = Files.list(spill)) {
          assertEquals(12 * 4, Files.size(listing.findFirst().orElseThrow()), robust.name());
        }
      }
    }
  }
}
