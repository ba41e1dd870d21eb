package org.cohort.site.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Updates a flat parameter vector from a flat gradient of the same length, in place. A fresh
 * optimizer is made for every local training run: Adam's moments describe one site's local
 * trajectory and are not carried across federated rounds.
 */
public sealed interface Optimizer permits Optimizer.Sgd, Optimizer.Adam {

  /** May overwrite {@code gradient}: the network recomputes it before the next step. */
  void step(INDArray parameters, INDArray gradient);

  static Optimizer sgd(double learningRate) {
    return new Sgd(learningRate);
  }

  static Optimizer adam(double learningRate, long parameterCount) {
    return new Adam(learningRate, parameterCount);
  }

  /** Plain minibatch stochastic gradient descent. */
  final class Sgd implements Optimizer {
    private final double learningRate;

    private Sgd(double learningRate) {
      this.learningRate = learningRate;
    }

    @Override
    public void step(INDArray parameters, INDArray gradient) {
      Nd4j.getBlasWrapper().level1().axpy(parameters.length(), -learningRate, gradient, parameters);
    }
  }

  /** Adam (Kingma and Ba 2015) with the usual defaults beta1 0.9, beta2 0.999, epsilon 1e-8. */
  final class Adam implements Optimizer {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;

    private final double learningRate;
    private final INDArray firstMoment;
    private final INDArray secondMoment;

    /**
     * Scratch for the intermediate vectors, so that a step allocates nothing: fresh off-heap
     * buffers of a model's size cost more (page faults, deallocation) than the arithmetic.
     */
    private final INDArray scratch;

    private long steps;

    private Adam(double learningRate, long parameterCount) {
      this.learningRate = learningRate;
      this.firstMoment = Nd4j.zeros(DataType.FLOAT, parameterCount);
      this.secondMoment = Nd4j.zeros(DataType.FLOAT, parameterCount);
      this.scratch = Nd4j.zeros(DataType.FLOAT, parameterCount);
    }

    @Override
    public void step(INDArray parameters, INDArray gradient) {
      steps++;
      firstMoment.muli(BETA1).addi(scratch.assign(gradient).muli(1 - BETA1));
      secondMoment.muli(BETA2).addi(gradient.muli(gradient).muli(1 - BETA2));
      // Bias corrections folded into the step size (Kingma and Ba, section 2).
      double stepSize =
          learningRate * Math.sqrt(1 - Math.pow(BETA2, steps)) / (1 - Math.pow(BETA1, steps));
      INDArray denominator = Transforms.sqrt(scratch.assign(secondMoment), false).addi(EPSILON);
      parameters.subi(denominator.rdivi(firstMoment).muli(stepSize));
    }
  }
}
