package org.cohort.coordinator.aggregate;

/** FedAvg's last step, in one place for the plain and the secure sum: Σ w·Δ / Σ w, as float32. */
public final class WeightedMean {

  private WeightedMean() {}

  public static AggregateUpdate of(double[] weightedSum, long totalWeight, int contributions) {
    if (totalWeight < 1 || contributions < 1) {
      throw new IllegalStateException("no contributions to average");
    }
    float[] mean = new float[weightedSum.length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (float) (weightedSum[i] / totalWeight);
    }
    return new AggregateUpdate(mean, totalWeight, contributions);
  }
}
