package org.cohort.coordinator.aggregate;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the floor(beta·n) largest
 * and smallest of the n values and average the rest, so up to floor(beta·n) arbitrary updates
 * cannot drag any coordinate outside the range of the others. NOT example-weighted: every site
 * counts once, or a site could buy influence by claiming a large example count; totalWeight still
 * reports the sum of the weights.
 *
 * <p>Memory: memoryBudgetBytes of update data + the result (model × 4 bytes) + n floats. Disk: n ×
 * model × 4 bytes, deleted on close.
 */
public final class TrimmedMean extends SpillingAggregator {

  private final double beta;

  /** beta in [0, 0.5), so at least one value per coordinate survives the trimming. */
  public TrimmedMean(int elements, double beta, Path spillDirectory, long memoryBudgetBytes) {
    super(elements, spillDirectory, memoryBudgetBytes);
    if (!(beta >= 0 && beta < 0.5)) {
      close();
      throw new IllegalArgumentException("trimmed mean beta must be in [0, 0.5)");
    }
    this.beta = beta;
  }

  @Override
  public AggregateUpdate result() {
    int n = updates.count();
    // The epsilon keeps products such as 0.29 × 100 = 28.999999999999996 from losing one trim.
    int trim = (int) Math.floor(beta * n + 1e-9);
    return new AggregateUpdate(
        coordinateWise(updates, trim, memoryBudgetBytes), updates.totalWeight(), n);
  }

  /** Per coordinate: the mean of the sorted values with trim dropped at each end. */
  static float[] coordinateWise(SpilledUpdates updates, int trim, long memoryBudgetBytes) {
    int n = updates.count();
    int kept = n - 2 * trim;
    float[] result = new float[updates.elements()];
    float[] column = new float[n];
    updates.forEachBlock(
        memoryBudgetBytes,
        (from, length, block) -> {
          for (int j = 0; j < length; j++) {
            for (int u = 0; u < n; u++) {
              column[u] = block[u * length + j];
            }
            Arrays.sort(column);
            double sum = 0;
            for (int k = trim; k < n - trim; k++) {
              sum += column[k];
            }
            result[from + j] = (float) (sum / kept);
          }
        });
    return result;
  }
}
