package org.cohort.protocol.metrics;

import java.util.Arrays;
import org.cohort.protocol.v1.LocalMetrics;

/**
 * What one site adds to a secure round's masked vector so that the coordinator learns the
 * federation's metrics and nothing per site: non-negative integer sums only (issue 10, finding 8).
 *
 * <p>On the held-out split of the received model: examples, correctly classified examples (at
 * probability 0.5), the sum of per-example log losses in fixed point, and per-class histograms of
 * the predicted probability in {@link #BINS} equal bins, from which the pooled AUROC follows. On
 * the training split: examples and the fixed-point loss sum after local training. Sums of these
 * over sites are the same quantities over the pooled records, so {@link #pooled} gives exactly the
 * loss and accuracy of the union of every site's held-out records, and its AUROC up to ties inside
 * one bin (a pair of a positive and a negative in the same bin counts one half).
 *
 * <p>Per-example losses are capped at {@link #LOSS_CAP} nats and rounded to 2^-{@value
 * #LOSS_FRACTION_BITS}: a capped example is one the model gets confidently wrong, and the cap keeps
 * every slot bounded, which secure aggregation needs.
 */
public record MetricSums(
    long evalExamples,
    long evalCorrect,
    long evalFixedLoss,
    long[] positives,
    long[] negatives,
    long trainExamples,
    long trainFixedLoss) {

  public static final int BINS = 1024;
  public static final double LOSS_CAP = 32;
  public static final int LOSS_FRACTION_BITS = 10;

  /** Nothing to report (a trainer without held-out records). */
  public static final MetricSums NONE =
      new MetricSums(0, 0, 0, new long[BINS], new long[BINS], 0, 0);

  public MetricSums {
    if (positives.length != BINS || negatives.length != BINS) {
      throw new IllegalArgumentException("histograms need " + BINS + " bins");
    }
    positives = positives.clone();
    negatives = negatives.clone();
  }

  /** A copy: the sums are values, and {@link #NONE} is shared. */
  @Override
  public long[] positives() {
    return positives.clone();
  }

  /** A copy: the sums are values, and {@link #NONE} is shared. */
  @Override
  public long[] negatives() {
    return negatives.clone();
  }

  /** Binary cross-entropy of a logit, log(1 + e^z) − y·z, stable for saturated predictions. */
  public static double logLoss(double logit, float label) {
    return Math.max(logit, 0.0) + Math.log1p(Math.exp(-Math.abs(logit))) - label * logit;
  }

  /** A per-example loss in fixed point, capped. */
  public static long fixedLoss(double loss) {
    return Math.round(Math.min(loss, LOSS_CAP) * (1 << LOSS_FRACTION_BITS));
  }

  /** The histogram bin of a logit's probability: [0, 1/BINS), ..., [(BINS−1)/BINS, 1]. */
  public static int bin(double logit) {
    double probability = 1 / (1 + Math.exp(-logit));
    return Math.min(BINS - 1, (int) (probability * BINS));
  }

  /**
   * The held-out part from a model's logits and the labels (1 = positive); the training part is set
   * by {@link #withTraining}.
   */
  public static MetricSums of(float[] logits, float[] labels) {
    if (logits.length != labels.length) {
      throw new IllegalArgumentException("one logit per label is needed");
    }
    long correct = 0;
    long loss = 0;
    long[] positives = new long[BINS];
    long[] negatives = new long[BINS];
    for (int i = 0; i < logits.length; i++) {
      boolean positive = labels[i] == 1f;
      loss += fixedLoss(logLoss(logits[i], labels[i]));
      if ((logits[i] > 0) == positive) {
        correct++;
      }
      (positive ? positives : negatives)[bin(logits[i])]++;
    }
    return new MetricSums(logits.length, correct, loss, positives, negatives, 0, 0);
  }

  /** These held-out sums with the training part taken from {@code training}'s held-out part. */
  public MetricSums withTraining(MetricSums training) {
    return new MetricSums(
        evalExamples,
        evalCorrect,
        evalFixedLoss,
        positives,
        negatives,
        training.evalExamples,
        training.evalFixedLoss);
  }

  /**
   * The metrics of the pooled records: NaN where a figure has no examples (or one class only), and
   * everything NaN when the sums contradict each other (a negative count, more correct examples
   * than examples, or histograms that do not add up to the examples): the slots are only as honest
   * as the sites that filled them, and a sum no set of records could give is reported as unknown
   * rather than shown.
   */
  public LocalMetrics pooled() {
    long histogrammed = Arrays.stream(positives).sum() + Arrays.stream(negatives).sum();
    boolean negative =
        Math.min(Math.min(evalCorrect, evalFixedLoss), Math.min(trainExamples, trainFixedLoss)) < 0
            || Arrays.stream(positives).anyMatch(count -> count < 0)
            || Arrays.stream(negatives).anyMatch(count -> count < 0);
    if (negative
        || evalCorrect > evalExamples
        || histogrammed != evalExamples
        || evalFixedLoss > evalExamples * (Math.round(LOSS_CAP) << LOSS_FRACTION_BITS)
        || trainFixedLoss > trainExamples * (Math.round(LOSS_CAP) << LOSS_FRACTION_BITS)) {
      return LocalMetrics.newBuilder()
          .setEvalLoss(Double.NaN)
          .setEvalAccuracy(Double.NaN)
          .setEvalAuroc(Double.NaN)
          .setTrainLoss(Double.NaN)
          .build();
    }
    LocalMetrics.Builder metrics = LocalMetrics.newBuilder().setEvalExamples(evalExamples);
    double scale = 1 << LOSS_FRACTION_BITS;
    metrics.setEvalLoss(evalExamples > 0 ? evalFixedLoss / scale / evalExamples : Double.NaN);
    metrics.setEvalAccuracy(evalExamples > 0 ? (double) evalCorrect / evalExamples : Double.NaN);
    metrics.setEvalAuroc(histogramAuroc());
    metrics.setTrainLoss(trainExamples > 0 ? trainFixedLoss / scale / trainExamples : Double.NaN);
    return metrics.build();
  }

  /** Mann–Whitney over bins: a positive beats every negative in a lower bin, ties count half. */
  private double histogramAuroc() {
    double positiveTotal = Arrays.stream(positives).sum();
    double negativeTotal = Arrays.stream(negatives).sum();
    if (positiveTotal == 0 || negativeTotal == 0) {
      return Double.NaN;
    }
    double doubledWins = 0;
    double negativesBelow = 0;
    for (int b = 0; b < BINS; b++) {
      doubledWins += positives[b] * (2 * negativesBelow + negatives[b]);
      negativesBelow += negatives[b];
    }
    return doubledWins / (2 * positiveTotal * negativeTotal);
  }

  /**
   * The sums as slots of at most {@code layout.maxSlot()} each: counts directly, fixed-point losses
   * split into base-2^limbBits limbs so that a sum over sites never exceeds what the modulus holds.
   * Refuses sums a site could not have computed (a count above maxSlot).
   */
  public long[] toSlots(SlotLayout layout) {
    long[] slots = new long[layout.slotCount()];
    int i = 0;
    slots[i++] = layout.requireCount(evalExamples, "held-out examples");
    slots[i++] = layout.requireCount(evalCorrect, "correct examples");
    i = layout.writeLimbs(evalFixedLoss, evalExamples, slots, i);
    slots[i++] = layout.requireCount(trainExamples, "training examples");
    i = layout.writeLimbs(trainFixedLoss, trainExamples, slots, i);
    for (long count : positives) {
      slots[i++] = layout.requireCount(count, "histogram count");
    }
    for (long count : negatives) {
      slots[i++] = layout.requireCount(count, "histogram count");
    }
    return slots;
  }

  /** The inverse of {@link #toSlots} on slot-wise sums over sites. */
  public static MetricSums fromSlots(long[] sums, SlotLayout layout) {
    if (sums.length != layout.slotCount()) {
      throw new IllegalArgumentException(
          "expected " + layout.slotCount() + " metric slots, got " + sums.length);
    }
    int i = 0;
    long evalExamples = sums[i++];
    long evalCorrect = sums[i++];
    long evalLoss = layout.readLimbs(sums, i);
    i += layout.lossLimbs();
    long trainExamples = sums[i++];
    long trainLoss = layout.readLimbs(sums, i);
    i += layout.lossLimbs();
    long[] positives = Arrays.copyOfRange(sums, i, i + BINS);
    long[] negatives = Arrays.copyOfRange(sums, i + BINS, i + 2 * BINS);
    return new MetricSums(
        evalExamples, evalCorrect, evalLoss, positives, negatives, trainExamples, trainLoss);
  }
}
