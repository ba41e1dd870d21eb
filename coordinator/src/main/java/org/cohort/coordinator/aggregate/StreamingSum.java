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

  /**
   * The weighted mean; the accumulator is dropped at once, so applying the mean needs no O(model)
   * doubles.
   */
  @Override
  public AggregateUpdate result() {
    if (contributions == 0) {
      throw new IllegalStateException("no updates to aggregate");
    }
    AggregateUpdate mean = WeightedMean.of(sum, totalWeight, contributions);
    sum = null;
    return mean;
  }

  /**
   * Drops the accumulator, so a round object kept around for reporting no longer holds O(model).
   */
  @Override
  public void close() {
    sum = null;
  }
}
