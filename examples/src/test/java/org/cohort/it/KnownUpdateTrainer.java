package org.cohort.it;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;

/**
 * Returns known updates (global + a deterministic delta) so a test can compute the expected
 * aggregate independently; records every global model it receives and every update it returns.
 */
final class KnownUpdateTrainer implements LocalTrainer {

  record Call(float[] received, float[] returned, long examples) {
    /** The update the site sends: returned - received, in float32 like the agent computes it. */
    float[] update() {
      float[] u = new float[received.length];
      for (int i = 0; i < u.length; i++) {
        u[i] = returned[i] - received[i];
      }
      return u;
    }
  }

  private final int siteIndex;
  private final long examples;
  private final List<Call> calls = new CopyOnWriteArrayList<>();

  KnownUpdateTrainer(int siteIndex, long examples) {
    this.siteIndex = siteIndex;
    this.examples = examples;
  }

  @Override
  public Outcome train(ModelSpec model, TrainingSettings settings, float[] globalParameters) {
    int call = calls.size() + 1;
    float[] update = new float[globalParameters.length];
    float[] next = new float[globalParameters.length];
    for (int i = 0; i < update.length; i++) {
      update[i] =
          (float)
              ((siteIndex + 1) * 0.01 * (i + 1) * (call % 2 == 0 ? -call : call)
                  + 0.003 * siteIndex);
      next[i] = globalParameters[i] + update[i];
    }
    calls.add(new Call(globalParameters.clone(), next.clone(), examples));
    return new Outcome(
        next,
        examples,
        LocalMetrics.newBuilder()
            .setEvalExamples(EVAL_EXAMPLES)
            .setEvalLoss(evalLoss())
            .setEvalAuroc(0.75)
            .build(),
        sums());
  }

  private static final int EVAL_EXAMPLES = 10;

  private double evalLoss() {
    return 0.5 + siteIndex;
  }

  /**
   * The same held-out figures as integer sums for secure rounds: {@link #EVAL_EXAMPLES} negatives,
   * all in the lowest bin, at {@link #evalLoss()} each (exact in fixed point).
   */
  private MetricSums sums() {
    long[] negatives = new long[MetricSums.BINS];
    negatives[0] = EVAL_EXAMPLES;
    return new MetricSums(
        EVAL_EXAMPLES,
        EVAL_EXAMPLES,
        EVAL_EXAMPLES * MetricSums.fixedLoss(evalLoss()),
        new long[MetricSums.BINS],
        negatives,
        0,
        0);
  }

  /** Holds no records, so it evaluates on none: zero examples, every metric unset. */
  @Override
  public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
    return LocalMetrics.getDefaultInstance();
  }

  List<Call> calls() {
    return calls;
  }

  /**
   * The next global model, computed independently of the coordinator: base + sum(w_k u_k) /
   * sum(w_k), where u_k is what site k's trainer returned minus what it received and w_k its
   * example count.
   */
  static float[] weightedMean(float[] base, List<Call> calls) {
    double[] sum = new double[base.length];
    double weights = 0;
    for (Call call : calls) {
      float[] update = call.update();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += call.examples() * (double) update[i];
      }
      weights += call.examples();
    }
    float[] next = new float[base.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = (float) (base[i] + sum[i] / weights);
    }
    return next;
  }
}
