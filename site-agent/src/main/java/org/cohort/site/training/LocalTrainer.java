package org.cohort.site.training;

import org.cohort.privacy.round.RoundPrivacy;
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
   * Σ clip_C(g_j) over a Poisson sample of the training records (each included with probability
   * {@code samplingRate}, drawn from this site's own SecureRandom-keyed generator), g_j being
   * record j's own loss gradient at {@code parameters}, in layout order. The sample's size stays
   * inside the trainer: it is private, and the caller sends what this returns.
   *
   * @throws UnsupportedOperationException if this trainer cannot compute per-record gradients
   */
  default float[] clippedGradientSum(
      ModelSpec model, float[] parameters, double samplingRate, double clipNorm) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " cannot compute per-record gradients");
  }

  /**
   * Local DP-SGD ({@code privacy.localSteps()} steps of sampling rate q, clip C and noise
   * multiplier z, noise at this site) from {@code globalParameters}; returns the new parameters.
   *
   * @throws UnsupportedOperationException if this trainer cannot train privately
   */
  default float[] trainPrivately(
      ModelSpec model, TrainingSettings settings, float[] globalParameters, RoundPrivacy privacy) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " cannot train with differential privacy");
  }

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
