package org.cohort.site.model;

import java.util.Arrays;

/** Area under the ROC curve, computed exactly. */
public final class Auroc {

  private Auroc() {}

  /**
   * The Mann–Whitney statistic: the fraction of (positive, negative) pairs in which the positive
   * scores higher, with ties counting one half. Equal to the trapezoidal area under the ROC curve
   * with tied scores treated as one threshold. NaN when one class is absent, since the area is then
   * undefined.
   */
  public static double of(float[] scores, float[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException("one score per label is needed");
    }
    int positives = 0;
    for (float label : labels) {
      positives += label == 1f ? 1 : 0;
    }
    int negatives = labels.length - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    float[] negativeScores = new float[negatives];
    int n = 0;
    for (int i = 0; i < scores.length; i++) {
      if (labels[i] != 1f) {
        negativeScores[n++] = scores[i];
      }
    }
    Arrays.sort(negativeScores);
    // Twice the Mann–Whitney U, kept integral so the sum is exact for any realistic size.
    long doubledWins = 0;
    for (int i = 0; i < scores.length; i++) {
      if (labels[i] == 1f) {
        int below = lowerBound(negativeScores, scores[i]);
        int belowOrEqual = upperBound(negativeScores, scores[i]);
        doubledWins += 2L * below + (belowOrEqual - below);
      }
    }
    return doubledWins / (2.0 * positives * negatives);
  }

  /** First index whose value is >= key. */
  private static int lowerBound(float[] sorted, float key) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** First index whose value is > key. */
  private static int upperBound(float[] sorted, float key) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
