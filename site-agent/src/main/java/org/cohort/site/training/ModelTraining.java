package org.cohort.site.training;

import java.util.SplittableRandom;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Dataset;
import org.cohort.site.model.DenseNetwork;
import org.cohort.site.model.Evaluation;
import org.cohort.site.model.LabelledMatrix;
import org.cohort.site.model.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Minibatch training and evaluation of flat parameter vectors. These are the building blocks of the
 * site's {@link LocalTrainer} and of the demo's baselines (a model trained centrally on pooled
 * rows, or on one hospital alone), so every comparison uses the same code.
 */
public final class ModelTraining {

  private ModelTraining() {}

  /** The trained parameters and their evaluation on the training records. */
  public record Fit(float[] parameters, Evaluation training) {
    public double trainLoss() {
      return training.loss();
    }
  }

  public static Fit fit(
      ModelSpec model, TrainingSettings settings, float[] initialParameters, Dataset train) {
    return fit(model, settings, initialParameters, LabelledMatrix.of(train));
  }

  /**
   * {@code settings.epochs} passes over {@code train}, each in a fresh seeded random order, in
   * batches of {@code settings.batch_size} (the last batch of an epoch may be smaller). With {@code
   * settings.proximal_mu} = mu > 0 (FedProx) every step minimises the batch loss plus (mu / 2) ·
   * ||w − initialParameters||²; the reported training loss is the data loss alone. With mu = 0 no
   * proximal operation runs at all, so plain training is unchanged bit for bit.
   */
  public static Fit fit(
      ModelSpec model, TrainingSettings settings, float[] initialParameters, LabelledMatrix train) {
    validate(settings);
    DenseNetwork network = network(model, initialParameters, train);
    double mu = settings.getProximalMu();
    INDArray anchor = mu > 0 ? Nd4j.createFromArray(initialParameters.clone()) : null;
    Optimizer optimizer = optimizer(settings, network.parameterCount());
    SplittableRandom random = new SplittableRandom(settings.getSeed());
    int rows = train.rows();
    int batchSize = settings.getBatchSize();
    for (int epoch = 0; epoch < settings.getEpochs(); epoch++) {
      LabelledMatrix shuffled = train.select(permutation(rows, random));
      INDArray design = shuffled.design();
      INDArray labels = shuffled.labels();
      for (int start = 0; start < rows; start += batchSize) {
        int end = Math.min(rows, start + batchSize);
        network.computeGradient(rowBlock(design, start, end), rowBlock(labels, start, end));
        if (anchor != null) {
          network.addProximalGradient(anchor, mu);
        }
        network.step(optimizer);
      }
    }
    return new Fit(
        network.parameters(),
        Evaluation.fromLogits(network.logits(train.design()), train.labelValues()));
  }

  public static Evaluation evaluate(ModelSpec model, float[] parameters, Dataset data) {
    return evaluate(model, parameters, LabelledMatrix.of(data));
  }

  public static Evaluation evaluate(ModelSpec model, float[] parameters, LabelledMatrix data) {
    DenseNetwork network = network(model, parameters, data);
    return Evaluation.fromLogits(network.logits(data.design()), data.labelValues());
  }

  /** A fresh optimizer as {@code settings} name it. */
  static Optimizer optimizer(TrainingSettings settings, long parameterCount) {
    return switch (settings.getOptimizer()) {
      case OPTIMIZER_SGD -> Optimizer.sgd(settings.getLearningRate());
      case OPTIMIZER_ADAM -> Optimizer.adam(settings.getLearningRate(), parameterCount);
      default -> throw new InvalidTaskException("training.optimizer", "must be sgd or adam");
    };
  }

  /** A network of {@code model} for {@code data}'s width, after checking the task's shapes. */
  static DenseNetwork network(ModelSpec model, float[] parameters, LabelledMatrix data) {
    if (model.getInputFeatures() != data.featureCount()) {
      throw new InvalidTaskException(
          "model.input_features",
          "is "
              + model.getInputFeatures()
              + " but this site's data has "
              + data.featureCount()
              + " features");
    }
    ModelLayout layout;
    try {
      layout = ModelLayout.of(model);
    } catch (IllegalArgumentException e) {
      throw new InvalidTaskException("model", e.getMessage());
    }
    if (parameters.length != layout.totalElements()) {
      throw new InvalidTaskException(
          "parameters",
          "hold " + parameters.length + " values but the model needs " + layout.totalElements());
    }
    for (float p : parameters) {
      if (!Float.isFinite(p)) {
        throw new InvalidTaskException("parameters", "must all be finite numbers");
      }
    }
    return new DenseNetwork(model, parameters);
  }

  private static void validate(TrainingSettings settings) {
    if (settings.getEpochs() < 1) {
      throw new InvalidTaskException("training.epochs", "must be >= 1");
    }
    if (settings.getBatchSize() < 1) {
      throw new InvalidTaskException("training.batch_size", "must be >= 1");
    }
    validateStepSettings(settings);
  }

  /** The settings every optimizer step uses: learning rate and FedProx's mu. */
  static void validateStepSettings(TrainingSettings settings) {
    double rate = settings.getLearningRate();
    if (!(rate > 0) || Double.isInfinite(rate)) {
      throw new InvalidTaskException("training.learning_rate", "must be positive and finite");
    }
    double mu = settings.getProximalMu();
    if (!(mu >= 0) || Double.isInfinite(mu)) {
      throw new InvalidTaskException("training.proximal_mu", "must be zero or positive and finite");
    }
  }

  /** Rows [start, end) of a contiguous c-order matrix as a view; cheaper than general indexing. */
  private static INDArray rowBlock(INDArray matrix, int start, int end) {
    long columns = matrix.columns();
    return Nd4j.create(
        matrix.data(),
        new long[] {end - start, columns},
        new long[] {columns, 1},
        matrix.offset() + start * columns,
        'c');
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }
}
