package org.cohort.coordinator.aggregate;

import java.nio.file.Path;

/**
 * Coordinate-wise median (Yin et al. 2018): per coordinate, the middle of the n values (the mean of
 * the middle two for even n), so fewer than half the updates cannot move any coordinate outside the
 * range of the rest. NOT example-weighted: every site counts once; totalWeight still reports the
 * sum of the weights.
 *
 * <p>Memory: memoryBudgetBytes of update data + the result (model × 4 bytes) + n floats. Disk: n ×
 * model × 4 bytes, deleted on close.
 */
public final class CoordinateMedian extends SpillingAggregator {

  public CoordinateMedian(int elements, Path spillDirectory, long memoryBudgetBytes) {
    super(elements, spillDirectory, memoryBudgetBytes);
  }

  /**
   * The median is the trimmed mean that keeps only the middle one (odd n) or two (even n) values.
   */
  @Override
  public AggregateUpdate result() {
    int n = updates.count();
    float[] median = TrimmedMean.coordinateWise(updates, (n - 1) / 2, memoryBudgetBytes);
    return new AggregateUpdate(median, updates.totalWeight(), n);
  }
}
