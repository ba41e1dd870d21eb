package org.cohort.coordinator.aggregate;

/**
 * Exact example-weighted FedAvg mean: each update is folded into one double accumulator as it
 * arrives, so memory is O(model) (8 bytes per element) whatever the number of sites. Double
 * accumulation keeps the mean exact to float precision for any realistic number of contributions.
 */
public final class StreamingSum implements UpdateAggregator {

  private final int elements;
  private double[] sum;
  private long totalWeight;
  private int contributions;

  public StreamingSum(int elements) {
    this.elements = elements;
    this.sum = new double[elements];
  }

  @Override
  public void add(String site, float[] delta, long weight) {
    UpdateChecks.requireValid(site, delta, weight, elements);
    double w = weight;
    for (int i = 0; i < elements; i++) {
      sum[i] += w * delta[i];
    }
    totalWeight += weight;
    contributions++;
  }

  @Override
  public int contributions() {
    return contributions;
  }

  @Override
  public long totalWeight() {
    return totalWeight;
  }

  @Override
  public AggregateUpdate result() {
    if (contributions == 0) {
      throw new IllegalStateException("no updates to aggregate");
    }
    float[] mean = new float[elements];
    double total = totalWeight;
    for (int i = 0; i < elements; i++) {
      mean[i] = (float) (sum[i] / total);
    }
    return new AggregateUpdate(mean, totalWeight, contributions);
  }

  /** Drops the accumulator, so a round object kept around for reporting no longer holds O(model). */
  @Override
  public void close() {
    sum = null;
  }
}
