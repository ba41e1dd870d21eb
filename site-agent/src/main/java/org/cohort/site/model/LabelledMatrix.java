package org.cohort.site.model;

import org.cohort.site.data.Dataset;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dataset copied once into ND4J, float32, c order: the design matrix [rows, features + 1] (the
 * features followed by a constant 1, so that a first layer's weights and bias, which {@link
 * org.cohort.protocol.model.ModelLayout} stores contiguously, act as one matrix) and the labels
 * [rows, 1]. Built once per site and reused every round.
 */
public record LabelledMatrix(INDArray design, INDArray labels, float[] labelValues) {

  public LabelledMatrix {
    if (design.dataType() != DataType.FLOAT || labels.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("float32 matrices are expected");
    }
    if (design.rank() != 2
        || labels.rank() != 2
        || labels.columns() != 1
        || design.rows() != labels.rows()
        || labelValues.length != labels.rows()) {
      throw new IllegalArgumentException(
          "design [n, d + 1], labels [n, 1] and n label values are expected");
    }
  }

  public static LabelledMatrix of(Dataset data) {
    int rows = data.rows();
    int width = data.featureCount();
    float[] design = new float[rows * (width + 1)];
    for (int row = 0; row < rows; row++) {
      System.arraycopy(data.values(), row * width, design, row * (width + 1), width);
      design[row * (width + 1) + width] = 1f;
    }
    return new LabelledMatrix(
        Nd4j.create(design, new long[] {rows, width + 1}, 'c'),
        Nd4j.create(data.labels(), new long[] {rows, 1}, 'c'),
        data.labels().clone());
  }

  /**
   * The given rows, in the given order (repeats allowed), gathered into new contiguous c-order
   * matrices, so that batches can then be cut out as cheap views. One native gather per matrix:
   * INDArray.getRows copies row by row, about 40 times slower for 256 rows.
   */
  public LabelledMatrix select(int[] rowIndices) {
    if (rowIndices.length == 0) {
      throw new IllegalArgumentException("select at least one row");
    }
    float[] selectedLabels = new float[rowIndices.length];
    for (int i = 0; i < rowIndices.length; i++) {
      selectedLabels[i] = labelValues[rowIndices[i]];
    }
    return new LabelledMatrix(
        contiguous(Nd4j.pullRows(design, 1, rowIndices)),
        contiguous(Nd4j.pullRows(labels, 1, rowIndices)),
        selectedLabels);
  }

  private static INDArray contiguous(INDArray matrix) {
    return matrix.ordering() == 'c' && !matrix.isView() ? matrix : matrix.dup('c');
  }

  public int rows() {
    return labelValues.length;
  }

  public int featureCount() {
    return Math.toIntExact(design.columns() - 1);
  }
}
