package org.cohort.site.training;

import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * Trains and evaluates models on a site's own records. Implementations never see other sites' data,
 * and return only aggregates: no record-level values.
 */
public interface LocalTrainer {

  /**
   * Evaluates {@code globalParameters} on the held-out split, trains from them (honouring {@code
   * settings.proximal_mu}, FedProx), and returns the new parameters (same length) with the number
   * of training examples used.
   */
  Outcome train(ModelSpec model, TrainingSettings settings, float[] globalParameters);

  /**
   * Metrics of {@code parameters} on the held-out split (eval_examples, eval_loss, eval_accuracy,
   * eval_auroc; train_loss unset). Nothing is trained.
   */
  LocalMetrics evaluate(ModelSpec model, float[] parameters);

  /**
   * @param metrics what a plain round reports: this site's own figures
   * @param sums what a secure round reports instead, inside the masked vector, so that only
   *     federation-wide figures exist; {@link MetricSums#NONE} from a trainer without them
   */
  record Outcome(float[] newParameters, long exampleCount, LocalMetrics metrics, MetricSums sums) {
    /** An outcome without metric sums. */
    public Outcome(float[] newParameters, long exampleCount, LocalMetrics metrics) {
      this(newParameters, exampleCount, metrics, MetricSums.NONE);
    }
  }
}
