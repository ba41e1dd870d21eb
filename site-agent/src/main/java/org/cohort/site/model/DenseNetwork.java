package org.cohort.site.model;

import java.util.List;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
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

  /** A copy of the current parameters in layout order (one bulk copy of their buffer). */
  public float[] parameters() {
    return parameters.data().asFloat();
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
    INDArray[] inputs = new INDArray[weights.length];
    INDArray[] deltas = backpropagate(design, labels, inputs);
    // The 1/n of the mean goes into each gemm's alpha.
    accumulateGradient(inputs, deltas, 1.0 / design.rows());
  }

  /**
   * Sets the internal gradient to the DP-SGD sum Σ_j clip(g_j) over the rows j of one batch (design
   * [m, input_features + 1], labels [m, 1], m ≥ 1), where g_j is the gradient of row j's own BCE
   * loss (not divided by m) and clip(g) = g · min(1, clipNorm / ||g||₂) with the norm over all
   * parameters. Replacing one row therefore moves the sum by at most 2 · clipNorm in L2, and adding
   * or removing one by at most clipNorm (the sensitivity of the subsampled Gaussian mechanism).
   *
   * <p>Vectorised, without a per-example gradient (Goodfellow 2015, "Efficient per-example gradient
   * computations"): a dense layer with inputs A [m, in] and output deltas Δ [m, out] has
   * per-example weight gradients a_jᵀ δ_j, an outer product whose squared norm is ||a_j||² ·
   * ||δ_j||², and bias gradients δ_j. The squared norms of all layers add up per example, and the
   * clipped sum is Aᵀ · diag(s) · Δ per layer with s_j = min(1, C / norm_j): the ordinary gemm on
   * row-scaled deltas. All deltas are back-propagated unscaled first, because clipping scales an
   * example's whole gradient, which is known only once every layer's norm is.
   *
   * <p>The norms are accumulated in double, and C is shrunk by 2^-22 as in {@link
   * org.cohort.privacy.noise.L2Clipping} so that the float rounding of s_j, of the scaled deltas
   * and of the products cannot lift an example's clipped norm above C. Nothing per example leaves
   * this method.
   */
  public void computeClippedGradientSum(INDArray design, INDArray labels, double clipNorm) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be > 0 and finite, got " + clipNorm);
    }
    if (design.rows() < 1) {
      throw new IllegalArgumentException("a batch needs at least one row");
    }
    INDArray[] inputs = new INDArray[weights.length];
    INDArray[] deltas = backpropagate(design, labels, inputs);
    INDArray squaredNorms = Nd4j.zeros(DataType.DOUBLE, design.rows(), 1);
    for (int i = 0; i < weights.length; i++) {
      INDArray inputSquares = rowSquaredNorms(inputs[i]);
      if (i > 0) {
        inputSquares.addi(1.0); // the bias, an input that is always 1 (layer 0's design has it)
      }
      squaredNorms.addi(inputSquares.muli(rowSquaredNorms(deltas[i])));
    }
    // Squared norms are non-negative, so their sum is finite exactly when every one is.
    if (!Double.isFinite(squaredNorms.sumNumber().doubleValue())) {
      dropNonFiniteExamples(inputs, deltas, squaredNorms);
    }
    double bound = clipNorm * (1 - 0x1.0p-22);
    // min(1, C / norm) as C / max(norm, C), which also keeps a zero gradient at scale 1.
    INDArray scales =
        Transforms.max(Transforms.sqrt(squaredNorms, false), bound, false)
            .rdivi(bound)
            .castTo(DataType.FLOAT);
    for (INDArray delta : deltas) {
      delta.muliColumnVector(scales);
    }
    accumulateGradient(inputs, deltas, 1.0);
  }

  /**
   * An example whose gradient is not finite (a NaN or infinite feature, or activations that
   * overflow float) would turn the whole sum into NaN and so reveal that it was sampled; it
   * contributes nothing instead, which keeps the sum's sensitivity at C. Its input and delta rows
   * become zero, and {@code inputs[0]}, the caller's design, is replaced by a cleaned copy rather
   * than modified.
   */
  private static void dropNonFiniteExamples(
      INDArray[] inputs, INDArray[] deltas, INDArray squaredNorms) {
    // Comparisons rather than Conditions.notFinite(), which this ND4J's native ops do not know.
    INDArray keep = squaredNorms.lt(Double.POSITIVE_INFINITY).castTo(DataType.FLOAT);
    squaredNorms.muli(keep.castTo(DataType.DOUBLE));
    BooleanIndexing.replaceWhere(squaredNorms, 0.0, Conditions.isNan());
    // A dropped row times 0 holds zeros and NaNs only (inf · 0 and NaN · 0 are NaN); a kept row
    // has a finite squared norm, so all its entries are finite and it holds no NaN.
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = inputs[i].mulColumnVector(keep);
      BooleanIndexing.replaceWhere(inputs[i], 0.0, Conditions.isNan());
      deltas[i].muliColumnVector(keep);
      BooleanIndexing.replaceWhere(deltas[i], 0.0, Conditions.isNan());
    }
  }

  /** A copy of the internal gradient in layout order (one bulk copy of its buffer). */
  public float[] gradient() {
    return gradient.data().asFloat();
  }

  /**
   * Replaces the internal gradient, e.g. by a noised and averaged {@link
   * #computeClippedGradientSum}, before {@link #addProximalGradient} or {@link #step}.
   */
  public void setGradient(float[] values) {
    if (values.length != gradient.length()) {
      throw new IllegalArgumentException(
          "the gradient holds " + values.length + " values, the model " + gradient.length());
    }
    gradient.data().setData(values);
  }

  /**
   * Runs the batch forward and back. Fills {@code inputs} with each layer's input (layer 0: the
   * design, whose ones column carries the bias) and returns each layer's deltas: the derivative of
   * every row's own loss with respect to that layer's outputs, not divided by the batch size.
   */
  private INDArray[] backpropagate(INDArray design, INDArray labels, INDArray[] inputs) {
    int layers = weights.length;
    inputs[0] = design;
    INDArray[] deltas = new INDArray[layers];
    // d(BCE)/d(logit) = sigmoid(logit) - label.
    INDArray delta = Transforms.sigmoid(forward(design, inputs), false).subi(labels);
    for (int i = layers - 1; i > 0; i--) {
      deltas[i] = delta;
      INDArray active = inputs[i].gt(0).castTo(DataType.FLOAT);
      delta = delta.mmul(weights[i].transpose()).muli(active);
    }
    deltas[0] = delta;
    return deltas;
  }

  /** gradient = scale · Σ_rows (per-layer outer products of inputs and deltas). */
  private void accumulateGradient(INDArray[] inputs, INDArray[] deltas, double scale) {
    for (int i = weights.length - 1; i > 0; i--) {
      Nd4j.gemm(inputs[i], deltas[i], weightGradients[i], true, false, scale, 0.0);
      Nd4j.gemm(onesRow(deltas[i].rows()), deltas[i], biasGradients[i], false, false, scale, 0.0);
    }
    Nd4j.gemm(inputs[0], deltas[0], weightsAndBiasGradients[0], true, false, scale, 0.0);
  }

  /** Σ_k x[j, k]² per row j, as a double [rows, 1] column. */
  private static INDArray rowSquaredNorms(INDArray matrix) {
    INDArray squares = matrix.castTo(DataType.DOUBLE);
    return squares.muli(squares).sum(true, 1);
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

  /**
   * Logits [n, 1]; when {@code hiddenOutputs} is given, stores layer i's (ReLU) input at index i
   * for i ≥ 1.
   */
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
