package org.cohort.site.model;

import org.cohort.protocol.metrics.MetricSums;

/**
 * Quality of a model on a labelled dataset: mean binary cross-entropy, accuracy at probability 0.5
 * and AUROC (NaN when the data holds one class only), and the integer sums a secure round adds to
 * its masked vector instead.
 */
public record Evaluation(
    long examples, double loss, double accuracy, double auroc, MetricSums sums) {

  /** From the model's logits, so the loss is computed stably even for saturated predictions. */
  public static Evaluation fromLogits(float[] logits, float[] labels) {
    if (logits.length != labels.length) {
      throw new IllegalArgumentException("one logit per label is needed");
    }
    if (logits.length == 0) {
      throw new IllegalArgumentException("cannot evaluate on an empty dataset");
    }
    double lossSum = 0;
    long correct = 0;
    for (int i = 0; i < logits.length; i++) {
      double z = logits[i];
      lossSum += MetricSums.logLoss(z, labels[i]);
      boolean predictedPositive = z > 0;
      if (predictedPositive == (labels[i] == 1f)) {
        correct++;
      }
    }
    return new Evaluation(
        logits.length,
        lossSum / logits.length,
        (double) correct / logits.length,
        Auroc.of(logits, labels),
        MetricSums.of(logits, labels));
  }
}
