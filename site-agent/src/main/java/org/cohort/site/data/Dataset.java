package org.cohort.site.data;

import java.util.List;
import java.util.Objects;

/**
 * A binary-labelled table held as primitive arrays: {@code features} is row-major [rows,
 * features().size()] and {@code labels} holds 0 or 1 per row. Arrays are owned by the dataset once
 * constructed; callers must not modify them.
 */
public record Dataset(List<Feature> features, float[] values, float[] labels) {

  public Dataset {
    features = List.copyOf(features);
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(labels, "labels");
    if (features.isEmpty()) {
      throw new IllegalArgumentException("a dataset needs at least one feature");
    }
    if ((long) labels.length * features.size() != values.length) {
      throw new IllegalArgumentException(
          "values hold "
              + values.length
              + " numbers, expected "
              + labels.length
              + " rows x "
              + features.size()
              + " features");
    }
    for (float label : labels) {
      if (label != 0f && label != 1f) {
        throw new IllegalArgumentException("labels must be 0 or 1");
      }
    }
  }

  public int rows() {
    return labels.length;
  }

  public int featureCount() {
    return features.size();
  }

  public long positives() {
    long count = 0;
    for (float label : labels) {
      if (label == 1f) {
        count++;
      }
    }
    return count;
  }

  /** The given rows, in the given order. */
  public Dataset select(int[] rowIndices) {
    int width = featureCount();
    float[] selectedValues = new float[rowIndices.length * width];
    float[] selectedLabels = new float[rowIndices.length];
    for (int i = 0; i < rowIndices.length; i++) {
      int row = rowIndices[i];
      System.arraycopy(values, row * width, selectedValues, i * width, width);
      selectedLabels[i] = labels[row];
    }
    return new Dataset(features, selectedValues, selectedLabels);
  }

  /**
   * Stacks datasets with identical feature lists, e.g. to build a pooled (centralised) baseline.
   */
  public static Dataset concat(List<Dataset> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("nothing to concatenate");
    }
    List<Feature> features = parts.get(0).features();
    int rows = 0;
    for (Dataset part : parts) {
      if (!part.features().equals(features)) {
        throw new IllegalArgumentException("datasets with different features cannot be stacked");
      }
      rows += part.rows();
    }
    float[] values = new float[rows * features.size()];
    float[] labels = new float[rows];
    int row = 0;
    for (Dataset part : parts) {
      System.arraycopy(part.values(), 0, values, row * features.size(), part.values().length);
      System.arraycopy(part.labels(), 0, labels, row, part.rows());
      row += part.rows();
    }
    return new Dataset(features, values, labels);
  }
}
