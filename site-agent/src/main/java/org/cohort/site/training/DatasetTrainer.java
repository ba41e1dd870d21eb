package org.cohort.site.training;

import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Split;
import org.cohort.site.model.Evaluation;
import org.cohort.site.model.LabelledMatrix;

/**
 * The site's trainer over an in-memory, already standardised {@link Split}: evaluates the received
 * global model on the held-out part, then trains from it on the training part (evaluation-only
 * tasks stop after the first step). The held-out rows never influence training. AUROC is NaN (and
 * reported as NaN) when the held-out part holds one class only.
 */
public final class DatasetTrainer implements LocalTrainer {

  private final LabelledMatrix train;
  private final LabelledMatrix holdout;

  public DatasetTrainer(Split split) {
    this.train = LabelledMatrix.of(split.train());
    this.holdout = LabelledMatrix.of(split.holdout());
  }

  public int featureCount() {
    return train.featureCount();
  }

  @Override
  public Outcome train(ModelSpec model, TrainingSettings settings, float[] globalParameters) {
    Evaluation before = ModelTraining.evaluate(model, globalParameters, holdout);
    ModelTraining.Fit fit = ModelTraining.fit(model, settings, globalParameters, train);
    return new Outcome(
        fit.parameters(),
        train.rows(),
        metrics(before).toBuilder().setTrainLoss(fit.trainLoss()).build(),
        before.sums().withTraining(fit.training().sums()));
  }

  @Override
  public float[] clippedGradientSum(
      ModelSpec model, float[] parameters, double samplingRate, double clipNorm) {
    return DpSgd.clippedGradientSum(
            model, parameters, train, samplingRate, clipNorm, AesCtrDrbg.create())
        .sum();
  }

  @Override
  public float[] trainPrivately(
      ModelSpec model, TrainingSettings settings, float[] globalParameters, RoundPrivacy privacy) {
    return DpSgd.fitPrivately(
        model,
        settings,
        globalParameters,
        train,
        privacy.samplingRate(),
        privacy.clipNorm(),
        privacy.noiseMultiplier(),
        privacy.localSteps(),
        AesCtrDrbg.create());
  }

  @Override
  public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
    return metrics(ModelTraining.evaluate(model, parameters, holdout));
  }

  private static LocalMetrics metrics(Evaluation evaluation) {
    return LocalMetrics.newBuilder()
        .setEvalExamples(evaluation.examples())
        .setEvalLoss(evaluation.loss())
        .setEvalAccuracy(evaluation.accuracy())
        .setEvalAuroc(evaluation.auroc())
        .build();
  }
}
