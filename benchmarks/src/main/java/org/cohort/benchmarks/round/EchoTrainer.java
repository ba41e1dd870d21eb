package org.cohort.benchmarks.round;

import java.util.Arrays;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;

/**
 * No training: returns the global model plus a small constant, so a round costs only what the
 * framework itself does (transport, TLS, aggregation, checkpoint). The same setup as the Flower
 * reference figures the round benchmark is compared with.
 */
final class EchoTrainer implements LocalTrainer {

  static final float DELTA = 1e-3f;
  private static final long EXAMPLES = 100;

  @Override
  public Outcome train(ModelSpec model, TrainingSettings settings, float[] globalParameters) {
    float[] next = new float[globalParameters.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = globalParameters[i] + DELTA;
    }
    return new Outcome(next, EXAMPLES, LocalMetrics.getDefaultInstance());
  }

  /**
   * The same constant as {@link #train}'s update, as if every sampled record's gradient were it.
   */
  @Override
  public float[] clippedGradientSum(
      ModelSpec model, float[] parameters, double samplingRate, double clipNorm) {
    float[] sum = new float[parameters.length];
    Arrays.fill(sum, DELTA);
    return sum;
  }

  /** Holds no records, so it evaluates on none: zero examples, every metric unset. */
  @Override
  public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
    return LocalMetrics.getDefaultInstance();
  }
}
