package org.cohort.it;

import java.util.SplittableRandom;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Real ND4J training for transport tests: full-batch-per-minibatch gradient descent of logistic
 * regression on a site's records (features x, label y). Parameters follow ModelLayout for logreg:
 * W [features, 1] then b [1].
 */
final class Nd4jLogisticTrainer implements LocalTrainer {

  private final float[][] features;
  private final float[] labels;
  private final int trainRows;

  Nd4jLogisticTrainer(float[][] features, float[] labels) {
    this.features = features;
    this.labels = labels;
    this.trainRows = features.length * 4 / 5;
  }

  /** A synthetic cohort: labels from a fixed logistic model plus noise, shifted per hospital. */
  static Nd4jLogisticTrainer synthetic(int hospital, int rows, int featureCount) {
    SplittableRandom random = new SplittableRandom(1000 + hospital);
    float[][] x = new float[rows][featureCount];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      double z = -0.3 + 0.2 * hospital;
      for (int f = 0; f < featureCount; f++) {
        x[r][f] = (float) (random.nextGaussian() + 0.1 * hospital);
        z += (f % 3 == 0 ? 0.8 : -0.4) * x[r][f];
      }
      y[r] = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1f : 0f;
    }
    return new Nd4jLogisticTrainer(x, y);
  }

  float[][] features() {
    return features;
  }

  @Override
  public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
    int n = model.getInputFeatures();
    INDArray x = Nd4j.create(features).castTo(DataType.FLOAT);
    INDArray y = Nd4j.create(labels, new long[] {labels.length, 1}, DataType.FLOAT);
    INDArray w = Nd4j.create(java.util.Arrays.copyOf(global, n), new long[] {n, 1}, DataType.FLOAT);
    float b = global[n];
    INDArray trainX = x.get(NDArrayIndex.interval(0, trainRows), NDArrayIndex.all());
    INDArray trainY = y.get(NDArrayIndex.interval(0, trainRows), NDArrayIndex.all());
    INDArray evalX = x.get(NDArrayIndex.interval(trainRows, features.length), NDArrayIndex.all());
    INDArray evalY = y.get(NDArrayIndex.interval(trainRows, features.length), NDArrayIndex.all());
    LocalMetrics.Builder metrics = evaluate(evalX, evalY, w, b);
    float lr = (float) settings.getLearningRate();
    int batch = Math.max(1, settings.getBatchSize());
    double lastLoss = 0;
    for (int epoch = 0; epoch < settings.getEpochs(); epoch++) {
      for (int start = 0; start < trainRows; start += batch) {
        int end = Math.min(trainRows, start + batch);
        INDArray bx = trainX.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
        INDArray by = trainY.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
        INDArray p = Transforms.sigmoid(bx.mmul(w).addi(b));
        INDArray error = p.sub(by);
        w.subi(bx.transpose().mmul(error).muli(lr / (end - start)));
        b -= lr * error.meanNumber().floatValue();
        lastLoss = logLoss(p, by);
      }
    }
    float[] next = new float[global.length];
    System.arraycopy(w.ravel().toFloatVector(), 0, next, 0, n);
    next[n] = b;
    return new Outcome(next, trainRows, metrics.setTrainLoss(lastLoss).build());
  }

  private static LocalMetrics.Builder evaluate(INDArray x, INDArray y, INDArray w, float b) {
    INDArray p = Transforms.sigmoid(x.mmul(w).addi(b));
    float[] scores = p.ravel().toFloatVector();
    float[] truth = y.ravel().toFloatVector();
    long correct = 0;
    double positivesAboveNegatives = 0;
    long positives = 0;
    long negatives = 0;
    for (int i = 0; i < scores.length; i++) {
      if ((scores[i] >= 0.5f) == (truth[i] == 1f)) {
        correct++;
      }
      if (truth[i] == 1f) {
        positives++;
        for (int j = 0; j < scores.length; j++) {
          if (truth[j] == 0f) {
            positivesAboveNegatives += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
          }
        }
      } else {
        negatives++;
      }
    }
    return LocalMetrics.newBuilder().setEvalExamples(scores.length).setEvalLoss(logLoss(p, y))
        .setEvalAccuracy((double) correct / scores.length)
        .setEvalAuroc(positives > 0 && negatives > 0 ? positivesAboveNegatives / (positives * negatives) : 0.5);
  }

  private static double logLoss(INDArray p, INDArray y) {
    INDArray clipped = Transforms.max(Transforms.min(p, 1 - 1e-7), 1e-7);
    INDArray loss = y.mul(Transforms.log(clipped)).addi(y.rsub(1).muli(Transforms.log(clipped.rsub(1))));
    return -loss.meanNumber().doubleValue();
  }
}
