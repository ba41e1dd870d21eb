package org.cohort.site.training;

import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.Split;
import org.cohort.site.model.Evaluation;
import org.cohort.site.model.LabelledMatrix;

/**
 * The site's trainer over an in-memory, already standardised {@link Split}: evaluates the received
 * global model on the held-out part, then trains from it on the training part. The held-out rows
 * never influence training. AUROC is NaN (and reported as NaN) when the held-out part holds one
 * class only.
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
    LocalMetrics metrics = LocalMetrics.newBuilder()
        .setEvalExamples(before.examples())
        .setEvalLoss(before.loss())
        .setEvalAccuracy(before.accuracy())
        .setEvalAuroc(before.auroc())
        .setTrainLoss(fit.trainLoss())
        .build();
    return new Outcome(fit.parameters(), train.rows(), metrics);
  }
}
