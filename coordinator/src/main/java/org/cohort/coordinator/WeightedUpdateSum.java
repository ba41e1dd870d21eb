package org.cohort.coordinator;

/**
 * Streaming weighted FedAvg: each complete update is folded into one double accumulator as it
 * arrives, so memory is O(model) whatever the number of sites. Double accumulation keeps the mean
 * exact to float precision for any realistic number of contributions.
 */
final class WeightedUpdateSum {

  private final double[] sum;
  private double totalWeight;
  private int contributions;

  WeightedUpdateSum(int elements) {
    this.sum = new double[elements];
  }

  void add(float[] update, double weight) {
    if (update.length != sum.length) {
      throw new IllegalArgumentException("update has " + update.length + " elements, model has " + sum.length);
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] += weight * update[i];
    }
    totalWeight += weight;
    contributions++;
  }

  int contributions() {
    return contributions;
  }

  double totalWeight() {
    return totalWeight;
  }

  /** old + weighted mean of the updates, as a new vector (the old one may still be streaming out). */
  float[] applyTo(float[] base) {
    if (contributions == 0) {
      throw new IllegalStateException("no contributions to apply");
    }
    float[] next = new float[base.length];
    for (int i = 0; i < base.length; i++) {
      next[i] = (float) (base[i] + sum[i] / totalWeight);
    }
    return next;
  }
}
