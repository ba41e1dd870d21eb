package org.cohort.site.model;

import java.util.List;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A dense binary classifier (logreg, or an mlp with ReLU hidden layers) whose weights live in one
 * flat float32 vector laid out exactly as {@link ModelLayout}: layer i's W [fan_in, fan_out]
 * row-major, then its b [fan_out]. Layer tensors are views into that vector, so parameters go in
 * and out as one copy each and an optimizer updates the whole model with one vector operation.
 *
 * <p>Because b directly follows W, the pair is also one [fan_in + 1, fan_out] matrix; the first
 * layer uses it against the design matrix of {@link LabelledMatrix} (features plus a ones column),
 * which saves the bias operations. ND4J's cost here is per operation, not per number, so the number
 * of operations per batch is what matters.
 *
 * <p>Output: one logit per row; probability = sigmoid(logit); loss = mean binary cross-entropy.
 * Backpropagation is written out for dense layers and vectorised over the batch. Not thread-safe.
 */
public final class DenseNetwork {

  private final int inputFeatures;
  private final INDArray parameters;
  private final INDArray gradient;

  /** Per layer: W and b as one [fan_in + 1, fan_out] view, then W and b alone. */
  private final INDArray[] weightsAndBias;

  private final INDArray[] weights;
  private final INDArray[] biases;
  private final INDArray[] weightsAndBiasGradients;
  private final INDArray[] weightGradients;
  private final INDArray[] biasGradients;
  private INDArray onesRow;

  /** Scratch for w − anchor, allocated on the first proximal step. */
  private INDArray anchorDistance;

  public DenseNetwork(ModelSpec spec, float[] flatParameters) {
    ModelLayout layout = ModelLayout.of(spec);
    this.inputFeatures = spec.getInputFeatures();
    int total = layout.totalElements();
    if (flatParameters.length != total) {
      throw new IllegalArgumentException(
          "the parameter vector holds "
              + flatParameters.length
              + " values but a "
              + spec.getKind()
              + " model of this shape needs "
              + total);
    }
    this.parameters = Nd4j.createFromArray(flatParameters.clone());
    this.gradient = Nd4j.zeros(DataType.FLOAT, total);
    List<TensorSpec> tensors = layout.tensors();
    int layers = tensors.size() / 2;
    weightsAndBias = new INDArray[layers];
    weights = new INDArray[layers];
    biases = new INDArray[layers];
    weightsAndBiasGradients = new INDArray[layers];
    weightGradients = new INDArray[layers];
    biasGradients = new INDArray[layers];
    long offset = 0;
    for (int i = 0; i < layers; i++) {
      TensorSpec w = tensors.get(2 * i);
      long fanIn = w.getShape(0);
      long fanOut = w.getShape(1);
      weightsAndBias[i] = view(parameters, offset, fanIn + 1, fanOut);
      weights[i] = view(parameters, offset, fanIn, fanOut);
      biases[i] = view(parameters, offset + fanIn * fanOut, 1, fanOut);
      weightsAndBiasGradients[i] = view(gradient, offset, fanIn + 1, fanOut);
      weightGradients[i] = view(gradient, offset, fanIn, fanOut);
      biasGradients[i] = view(gradient, offset + fanIn * fanOut, 1, fanOut);
      offset += (fanIn + 1) * fanOut;
    }
  }

  /** A row-major [rows, columns] window onto {@code flat}, sharing its buffer. */
  static INDArray view(INDArray flat, long offset, long rows, long columns) {
    return Nd4j.create(
        flat.data(), new long[] {rows, columns}, new long[] {columns, 1}, offset, 'c');
  }

  public int inputFeatures() {
    return inputFeatures;
  }

  public long parameterCount() {
    return parameters.length();
  }

  /** A copy of the current parameters in layout order. */
  public float[] parameters() {
    return parameters.toFloatVector();
  }

  /**
   * One logit per row of a design matrix [rows, input_features + 1] (see {@link LabelledMatrix}).
   */
  public float[] logits(INDArray design) {
    return forward(design, null).ravel().toFloatVector();
  }

  /**
   * Sets the internal gradient to d(mean BCE)/d(parameters) on one batch: design [n, input_features
   * + 1], labels [n, 1].
   */
  public void computeGradient(INDArray design, INDArray labels) {
    int layers = weights.length;
    INDArray[] hiddenOutputs = new INDArray[layers];
    INDArray delta = Transforms.sigmoid(forward(design, hiddenOutputs), false).subi(labels);
    // d(BCE)/d(logit) = sigmoid(logit) - label; the 1/n of the mean goes into each gemm's alpha.
    double scale = 1.0 / design.rows();
    for (int i = layers - 1; i > 0; i--) {
      INDArray input = hiddenOutputs[i];
      Nd4j.gemm(input, delta, weightGradients[i], true, false, scale, 0.0);
      Nd4j.gemm(onesRow(delta.rows()), delta, biasGradients[i], false, false, scale, 0.0);
      INDArray active = input.gt(0).castTo(DataType.FLOAT);
      delta = delta.mmul(weights[i].transpose()).muli(active);
    }
    Nd4j.gemm(design, delta, weightsAndBiasGradients[0], true, false, scale, 0.0);
  }

  /**
   * Adds mu · (w − anchor) to the gradient of the last {@link #computeGradient} call: the gradient
   * of FedProx's proximal term (mu / 2) · ||w − anchor||², which keeps local training near the
   * global model it started from. The difference is formed first so that it stays exact when w is
   * close to the anchor.
   */
  public void addProximalGradient(INDArray anchor, double mu) {
    if (anchor.length() != parameters.length()) {
      throw new IllegalArgumentException(
          "the anchor holds " + anchor.length() + " values, the model " + parameters.length());
    }
    if (anchorDistance == null) {
      anchorDistance = Nd4j.createUninitialized(DataType.FLOAT, parameters.length());
    }
    anchorDistance.assign(parameters).subi(anchor);
    Nd4j.getBlasWrapper().level1().axpy(parameters.length(), mu, anchorDistance, gradient);
  }

  /** Applies one optimizer step with the gradient of the last {@link #computeGradient} call. */
  public void step(Optimizer optimizer) {
    optimizer.step(parameters, gradient);
  }

  /** Logits [n, 1]; when {@code hiddenOutputs} is given, stores each layer's (ReLU) input there. */
  private INDArray forward(INDArray design, INDArray[] hiddenOutputs) {
    if (design.columns() != inputFeatures + 1) {
      throw new IllegalArgumentException(
          "the design matrix has "
              + design.columns()
              + " columns, expected input_features + 1 = "
              + (inputFeatures + 1));
    }
    INDArray h = design.mmul(weightsAndBias[0]);
    for (int i = 1; i < weights.length; i++) {
      Transforms.relu(h, false);
      if (hiddenOutputs != null) {
        hiddenOutputs[i] = h;
      }
      h = h.mmul(weights[i]).addiRowVector(biases[i]);
    }
    return h;
  }

  private INDArray onesRow(long n) {
    if (onesRow == null || onesRow.columns() != n) {
      onesRow = Nd4j.ones(DataType.FLOAT, 1, n);
    }
    return onesRow;
  }
}
