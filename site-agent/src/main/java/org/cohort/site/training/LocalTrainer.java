package org.cohort.site.training;

import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;

/** Trains a model on a site's own records. Implementations never see other sites' data. */
public interface LocalTrainer {

  /**
   * Evaluates {@code globalParameters} on the held-out split, trains from them, and returns the new
   * parameters (same length) with the number of training examples used.
   */
  Outcome train(ModelSpec model, TrainingSettings settings, float[] globalParameters);

  record Outcome(float[] newParameters, long exampleCount, LocalMetrics metrics) {}
}
