package org.cohort.coordinator.aggregate;

import java.nio.file.Path;

/**
 * What the robust aggregators share: every update is spilled to disk as it arrives ({@link
 * SpilledUpdates}) and read back in column blocks of at most {@code memoryBudgetBytes} when the
 * round's result is computed, so memory does not grow with the number of sites.
 */
abstract class SpillingAggregator implements UpdateAggregator {

  protected final SpilledUpdates updates;
  protected final long memoryBudgetBytes;

  SpillingAggregator(int elements, Path spillDirectory, long memoryBudgetBytes) {
    this.updates = new SpilledUpdates(elements, spillDirectory);
    this.memoryBudgetBytes = memoryBudgetBytes;
  }

  @Override
  public final void add(String site, float[] delta, long weight) {
    updates.add(site, delta, weight);
  }

  @Override
  public final int contributions() {
    return updates.count();
  }

  @Override
  public final long totalWeight() {
    return updates.totalWeight();
  }

  @Override
  public final void close() {
    updates.close();
  }
}
