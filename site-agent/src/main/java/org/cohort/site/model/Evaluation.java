package org.cohort.site.model;

/**
 * Quality of a model on a labelled dataset: mean binary cross-entropy, accuracy at probability 0.5
 * and AUROC (NaN when the data holds one class only).
 */
public record Evaluation(long examples, double loss, double accuracy, double auroc) {

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
      double y = labels[i];
      lossSum += softplus(z) - y * z;
      boolean predictedPositive = z > 0;
      if (predictedPositive == (labels[i] == 1f)) {
        correct++;
      }
    }
    return new Evaluation(
        logits.length,
        lossSum / logits.length,
        (double) correct / logits.length,
        Auroc.of(logits, labels));
  }

  /** log(1 + e^z) without overflow. */
  static double softplus(double z) {
    return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
  }
}
