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
public final class CoordinateMedian implements UpdateAggregator {

  private final SpilledUpdates updates;
  private final long memoryBudgetBytes;

  public CoordinateMedian(int elements, Path spillDirectory, long memoryBudgetBytes) {
    this.updates = new SpilledUpdates(elements, spillDirectory);
    this.memoryBudgetBytes = memoryBudgetBytes;
  }

  @Override
  public void add(String site, float[] delta, long weight) {
    updates.add(site, delta, weight);
  }

  @Override
  public int contributions() {
    return updates.count();
  }

  @Override
  public long totalWeight() {
    return updates.totalWeight();
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

  @Override
  public void close() {
    updates.close();
  }
}
