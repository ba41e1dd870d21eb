package org.cohort.coordinator.aggregate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BoundedAggregatorTest {

  private static BoundedAggregator bounded(long maxWeight, double maxNorm, int elements) {
    return new BoundedAggregator(
        new ContributionBounds(maxWeight, maxNorm), new StreamingSum(elements));
  }

  @Test
  void updatesWithinTheBoundsPassUnchanged() {
    try (BoundedAggregator aggregator = bounded(10, 5, 2)) {
      aggregator.add("site-a", new float[] {3f, 0f}, 2);
      aggregator.add("site-b", new float[] {0f, 4f}, 6);
      AggregateUpdate result = aggregator.result();
      assertArrayEquals(new float[] {0.75f, 3f}, result.delta());
      assertEquals(8, result.totalWeight());
    }
  }

  @Test
  void aLongUpdateIsScaledToTheNormBoundAlongItsOwnDirection() {
    try (BoundedAggregator aggregator = bounded(10, 5, 2)) {
      // (30, 40) has norm 50: it counts as (3, 4), just under norm 5.
      aggregator.add("site-a", new float[] {30f, 40f}, 1);
      float[] delta = aggregator.result().delta();
      assertEquals(3, delta[0], 1e-5);
      assertEquals(4, delta[1], 1e-5);
      assertTrue(Math.hypot(delta[0], delta[1]) <= 5);
    }
  }

  @Test
  void aClaimedWeightAboveTheCapCountsAsTheCap() {
    try (BoundedAggregator aggregator = bounded(100, 5, 1)) {
      aggregator.add("liar", new float[] {1f}, 1L << 62);
      aggregator.add("honest", new float[] {0f}, 100);
      AggregateUpdate result = aggregator.result();
      assertEquals(200, result.totalWeight());
      assertArrayEquals(new float[] {0.5f}, result.delta());
    }
  }

  @Test
  void aNonFiniteUpdateIsRefusedNamingTheSiteAndLeavesNoTrace() {
    try (BoundedAggregator aggregator = bounded(100, 5, 2)) {
      IllegalArgumentException refused =
          assertThrows(
              IllegalArgumentException.class,
              () -> aggregator.add("site-x", new float[] {Float.NaN, 1f}, 3));
      assertEquals("update from site-x contains a non-finite value", refused.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> aggregator.add("site-y", new float[] {Float.POSITIVE_INFINITY, 1f}, 3));
      assertThrows(
          IllegalArgumentException.class, () -> aggregator.add("site-z", new float[] {1f}, 3));
      assertThrows(
          IllegalArgumentException.class, () -> aggregator.add("site-w", new float[] {1f, 1f}, 0));
      assertEquals(0, aggregator.contributions());
      aggregator.add("site-a", new float[] {1f, 1f}, 3);
      assertEquals(3, aggregator.totalWeight());
    }
  }

  @Test
  void boundsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new ContributionBounds(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new ContributionBounds(1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ContributionBounds(1, Double.NaN));
    assertThrows(
        IllegalArgumentException.class, () -> new ContributionBounds(1, Double.POSITIVE_INFINITY));
  }
}
