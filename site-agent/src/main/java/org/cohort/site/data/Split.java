package org.cohort.site.data;

import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/** A site's rows divided into a training part and a held-out part used only for evaluation. */
public record Split(Dataset train, Dataset holdout) {

  /**
   * Deterministic stratified split: within each label class, a seeded shuffle sends
   * round(holdoutFraction x class size) rows to the held-out part, so both parts keep the site's
   * prevalence. Rows keep their original order inside each part. The seed is configuration, not a
   * secret: anyone re-running the site must get the same split.
   */
  public static Split stratified(Dataset data, double holdoutFraction, long seed) {
    if (!(holdoutFraction > 0.0 && holdoutFraction < 1.0)) {
      throw new IllegalArgumentException("the held-out fraction must be strictly between 0 and 1");
    }
    SplittableRandom random = new SplittableRandom(seed);
    boolean[] heldOut = new boolean[data.rows()];
    for (float label : new float[] {0f, 1f}) {
      int[] members = rowsWithLabel(data, label);
      shuffle(members, random);
      int take = (int) Math.round(holdoutFraction * members.length);
      for (int i = 0; i < take; i++) {
        heldOut[members[i]] = true;
      }
    }
    int holdoutRows = 0;
    for (boolean h : heldOut) {
      holdoutRows += h ? 1 : 0;
    }
    int[] trainRows = new int[data.rows() - holdoutRows];
    int[] holdRows = new int[holdoutRows];
    int t = 0;
    int h = 0;
    for (int row = 0; row < heldOut.length; row++) {
      if (heldOut[row]) {
        holdRows[h++] = row;
      } else {
        trainRows[t++] = row;
      }
    }
    if (trainRows.length == 0 || holdRows.length == 0) {
      throw new IllegalArgumentException(
          "a split of " + data.rows() + " rows leaves the training or held-out part empty");
    }
    return new Split(data.select(trainRows), data.select(holdRows));
  }

  /** The same transformation on both parts, e.g. standardisation fitted on the training part. */
  public Split map(UnaryOperator<Dataset> transform) {
    return new Split(transform.apply(train), transform.apply(holdout));
  }

  private static int[] rowsWithLabel(Dataset data, float label) {
    float[] labels = data.labels();
    return IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
  }

  private static void shuffle(int[] items, SplittableRandom random) {
    for (int i = items.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }

  @Override
  public String toString() {
    return "Split[train=" + train.rows() + " rows, holdout=" + holdout.rows() + " rows]";
  }
}
