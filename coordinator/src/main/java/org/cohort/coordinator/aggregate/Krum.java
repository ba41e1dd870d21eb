package org.cohort.coordinator.aggregate;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent"). Each update's score is the sum of its squared distances to its n − f
 * − 2 nearest other updates; select = 1 returns the best-scored update (Krum), select = m > 1 the
 * mean of the m best-scored (Multi-Krum). Ties go to the update added first, so a result is
 * reproducible. NOT example-weighted: every site counts once; totalWeight still reports the sum of
 * all weights and contributions counts every update, selected or not.
 *
 * <p>result() needs n >= 2f + 3 (the paper's condition) and n >= f + m (so the m selected could all
 * be honest), else {@link TooFewUpdatesException}.
 *
 * <p>Memory: n² doubles (pairwise distances) + memoryBudgetBytes of update data + the result (model
 * × 4 bytes). Disk: n × model × 4 bytes, deleted on close. Time: two passes over the spill file and
 * O(n² × model) arithmetic.
 */
public final class Krum extends SpillingAggregator {

  private final int byzantine;
  private final int select;

  public Krum(
      int elements, int byzantine, int select, Path spillDirectory, long memoryBudgetBytes) {
    super(elements, spillDirectory, memoryBudgetBytes);
    if (byzantine < 0 || select < 1) {
      close();
      throw new IllegalArgumentException(
          byzantine < 0 ? "krum byzantine must be >= 0" : "krum select must be >= 1");
    }
    this.byzantine = byzantine;
    this.select = select;
  }

  @Override
  public AggregateUpdate result() {
    int n = updates.count();
    int required = Math.max(2 * byzantine + 3, byzantine + select);
    if (n < required) {
      throw new TooFewUpdatesException(
          (select == 1 ? "krum" : "multi-krum")
              + " with byzantine = "
              + byzantine
              + " and select = "
              + select
              + " needs at least "
              + required
              + " updates (2·byzantine + 3 and byzantine + select); the round has "
              + n,
          required,
          n);
    }
    boolean[] selected = best(scores(squaredDistances(n), n), select);
    float[] mean = new float[updates.elements()];
    updates.forEachBlock(
        memoryBudgetBytes,
        (from, length, block) -> {
          for (int j = 0; j < length; j++) {
            double sum = 0;
            for (int u = 0; u < n; u++) {
              if (selected[u]) {
                sum += block[u * length + j];
              }
            }
            mean[from + j] = (float) (sum / select);
          }
        });
    return new AggregateUpdate(mean, updates.totalWeight(), n);
  }

  /** d[a·n + b] = ||update a − update b||², accumulated block by block. */
  private double[] squaredDistances(int n) {
    double[] d = new double[n * n];
    updates.forEachBlock(
        memoryBudgetBytes,
        (from, length, block) -> {
          for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
              double sum = 0;
              for (int j = 0, ia = a * length, ib = b * length; j < length; j++) {
                double diff = (double) block[ia + j] - block[ib + j];
                sum += diff * diff;
              }
              d[a * n + b] += sum;
            }
          }
        });
    for (int a = 0; a < n; a++) {
      for (int b = a + 1; b < n; b++) {
        d[b * n + a] = d[a * n + b];
      }
    }
    return d;
  }

  private double[] scores(double[] d, int n) {
    int nearest = n - byzantine - 2;
    double[] scores = new double[n];
    double[] others = new double[n - 1];
    for (int a = 0; a < n; a++) {
      for (int b = 0, k = 0; b < n; b++) {
        if (b != a) {
          others[k++] = d[a * n + b];
        }
      }
      Arrays.sort(others);
      for (int k = 0; k < nearest; k++) {
        scores[a] += others[k];
      }
    }
    return scores;
  }

  private static boolean[] best(double[] scores, int count) {
    boolean[] chosen = new boolean[scores.length];
    for (int picked = 0; picked < count; picked++) {
      int best = -1;
      for (int u = 0; u < scores.length; u++) {
        if (!chosen[u] && (best < 0 || scores[u] < scores[best])) {
          best = u;
        }
      }
      chosen[best] = true;
    }
    return chosen;
  }
}
