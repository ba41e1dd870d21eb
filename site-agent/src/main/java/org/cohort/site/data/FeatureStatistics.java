package org.cohort.site.data;

import java.util.Arrays;
import java.util.List;

/**
 * Per-column count, sum and sum of squares of the observed (non-missing) values of a dataset's
 * features. These are additive: {@link #merge} of every site's statistics equals the statistics of
 * the pooled data, so a federation can later compute global means and standard deviations from
 * per-site aggregates (ideally through secure aggregation) without moving records.
 */
public final class FeatureStatistics {

  private final List<Feature> features;
  private final long[] count;
  private final double[] sum;
  private final double[] sumOfSquares;

  private FeatureStatistics(
      List<Feature> features, long[] count, double[] sum, double[] sumOfSquares) {
    this.features = List.copyOf(features);
    this.count = count;
    this.sum = sum;
    this.sumOfSquares = sumOfSquares;
  }

  /** Statistics of every column over its non-NaN values. */
  public static FeatureStatistics of(Dataset data) {
    int width = data.featureCount();
    long[] count = new long[width];
    double[] sum = new double[width];
    double[] sumOfSquares = new double[width];
    float[] values = data.values();
    for (int offset = 0; offset < values.length; offset += width) {
      for (int j = 0; j < width; j++) {
        float v = values[offset + j];
        if (!Float.isNaN(v)) {
          count[j]++;
          sum[j] += v;
          sumOfSquares[j] += (double) v * v;
        }
      }
    }
    return new FeatureStatistics(data.features(), count, sum, sumOfSquares);
  }

  public FeatureStatistics merge(FeatureStatistics other) {
    if (!features.equals(other.features)) {
      throw new IllegalArgumentException("statistics of different feature lists cannot be merged");
    }
    long[] mergedCount = count.clone();
    double[] mergedSum = sum.clone();
    double[] mergedSquares = sumOfSquares.clone();
    for (int j = 0; j < mergedCount.length; j++) {
      mergedCount[j] += other.count[j];
      mergedSum[j] += other.sum[j];
      mergedSquares[j] += other.sumOfSquares[j];
    }
    return new FeatureStatistics(features, mergedCount, mergedSum, mergedSquares);
  }

  public List<Feature> features() {
    return features;
  }

  public long count(int column) {
    return count[column];
  }

  /** Mean of the observed values; 0 for a column with no observed value. */
  public double mean(int column) {
    return count[column] == 0 ? 0.0 : sum[column] / count[column];
  }

  /** Population standard deviation of the observed values; 0 when fewer than two are observed. */
  public double standardDeviation(int column) {
    if (count[column] < 2) {
      return 0.0;
    }
    double mean = mean(column);
    double variance = sumOfSquares[column] / count[column] - mean * mean;
    return Math.sqrt(Math.max(0.0, variance));
  }

  @Override
  public String toString() {
    // Aggregates only, but still patient-derived: keep them out of logs by default.
    return "FeatureStatistics" + Arrays.toString(count);
  }
}
