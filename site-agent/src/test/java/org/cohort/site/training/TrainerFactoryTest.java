package org.cohort.site.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.DataConfigException;
import org.cohort.site.data.DataFileException;
import org.cohort.site.data.SyntheticCohort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerFactoryTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ModelSpec LOGREG =
      ModelSpec.newBuilder()
          .setKind("logreg")
          .setInputFeatures(SyntheticCohort.FEATURE_COUNT)
          .build();
  private static final TrainingSettings SGD =
      TrainingSettings.newBuilder()
          .setEpochs(2)
          .setBatchSize(32)
          .setLearningRate(0.1)
          .setOptimizer(Optimizer.OPTIMIZER_SGD)
          .setSeed(7)
          .build();

  static JsonNode yaml(String text) {
    try {
      return YAML.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void syntheticSiteTrainsFromTheCoordinatorsInitialModel() {
    LocalTrainer trainer =
        TrainerFactory.fromConfig(yaml("{source: synthetic, hospital: 1, seed: 1}"), Path.of("."));
    float[] initial = ModelLayout.of(LOGREG).initialParameters(42);

    LocalTrainer.Outcome first = trainer.train(LOGREG, SGD, initial);
    LocalTrainer.Outcome second = trainer.train(LOGREG, SGD, first.newParameters());

    assertEquals(initial.length, first.newParameters().length);
    assertEquals(1050, first.exampleCount()); // 70 % of university-referral's 1500 patients
    assertEquals(450, first.metrics().getEvalExamples());
    assertTrue(
        second.metrics().getEvalLoss() < first.metrics().getEvalLoss(),
        "held-out loss of the trained model must be below that of the initial model");
    assertTrue(second.metrics().getEvalAuroc() > 0.7 && second.metrics().getEvalAuroc() <= 1.0);
    assertTrue(
        first.metrics().getTrainLoss() > 0 && Double.isFinite(first.metrics().getTrainLoss()));
  }

  @Test
  void evaluationScoresTheGivenModelOnTheHeldOutRowsWithoutTraining() {
    LocalTrainer trainer =
        TrainerFactory.fromConfig(yaml("{source: synthetic, hospital: 1, seed: 1}"), Path.of("."));
    float[] initial = ModelLayout.of(LOGREG).initialParameters(42);
    float[] sent = initial.clone();

    LocalMetrics evaluated = trainer.evaluate(LOGREG, sent);
    LocalTrainer.Outcome trained = trainer.train(LOGREG, SGD, initial);

    assertArrayEquals(initial, sent, "evaluation must not modify the parameters it is given");
    assertEquals(
        trained.metrics().toBuilder().clearTrainLoss().build(),
        evaluated,
        "evaluation reports what training reports for the model it received, minus the training loss");
    assertEquals(450, evaluated.getEvalExamples());
    LocalMetrics afterTraining = trainer.evaluate(LOGREG, trained.newParameters());
    assertTrue(
        afterTraining.getEvalLoss() < evaluated.getEvalLoss(),
        "a trained model scores better held out");
  }

  @Test
  void syntheticRowsCanBeOverridden() {
    LocalTrainer trainer =
        TrainerFactory.fromConfig(
            yaml("{source: synthetic, hospital: 0, seed: 3, rows: 100}"), Path.of("."));
    assertEquals(
        70, trainer.train(LOGREG, SGD, ModelLayout.of(LOGREG).initialParameters(1)).exampleCount());
  }

  @Test
  void csvSiteWithOneClassOnlyTrainsAndReportsAurocAsNaN(@TempDir Path configDirectory)
      throws IOException {
    StringBuilder csv = new StringBuilder("age,admission,chol,outcome\n");
    for (int i = 0; i < 40; i++) {
      csv.append(40 + i)
          .append(i % 2 == 0 ? ",elective," : ",emergency,")
          .append(i % 5 == 0 ? "?" : 150 + i)
          .append(",0\n");
    }
    Files.createDirectories(configDirectory.resolve("data"));
    Files.writeString(configDirectory.resolve("data/site.csv"), csv);
    LocalTrainer trainer =
        TrainerFactory.fromConfig(
            yaml(
                """
        source: csv
        path: data/site.csv
        features: [age, admission, chol]
        label: outcome
        categorical: {admission: [elective, emergency, transfer]}
        holdout_fraction: 0.25
        split_seed: 3
        """),
            configDirectory);
    // age, age:missing, 3 admission values + admission:missing, chol, chol:missing
    ModelSpec model = ModelSpec.newBuilder().setKind("logreg").setInputFeatures(8).build();

    LocalTrainer.Outcome outcome =
        trainer.train(model, SGD, ModelLayout.of(model).initialParameters(5));

    assertEquals(30, outcome.exampleCount());
    assertEquals(10, outcome.metrics().getEvalExamples());
    assertTrue(Double.isNaN(outcome.metrics().getEvalAuroc()));
    assertTrue(Double.isFinite(outcome.metrics().getEvalLoss()));
    for (float p : outcome.newParameters()) {
      assertTrue(Float.isFinite(p));
    }
  }

  @Test
  void csvFileProblemsSurfaceAsDataFileExceptions(@TempDir Path configDirectory)
      throws IOException {
    Files.writeString(configDirectory.resolve("site.csv"), "a,y\n1,0\nx,1\n");
    DataFileException e =
        assertThrows(
            DataFileException.class,
            () ->
                TrainerFactory.fromConfig(
                    yaml("{source: csv, path: site.csv, features: [a], label: y}"),
                    configDirectory));
    assertEquals(configDirectory.resolve("site.csv"), e.file());
    assertEquals(3, e.line());
    Files.writeString(configDirectory.resolve("tiny.csv"), "a,y\n1,0\n");
    assertThrows(
        DataFileException.class,
        () ->
            TrainerFactory.fromConfig(
                yaml("{source: csv, path: tiny.csv, features: [a], label: y}"), configDirectory));
  }

  @Test
  void inputWidthFollowsFromTheConfigAlone() {
    assertEquals(
        25,
        TrainerFactory.inputFeatures(
            yaml("{source: synthetic, hospital: 0, seed: 1}"), Path.of(".")));
    assertEquals(
        8,
        TrainerFactory.inputFeatures(
            yaml(
                """
        {source: csv, path: not-read.csv, label: y, features: [age, admission, chol],
         categorical: {admission: [elective, emergency, transfer]}}
        """),
            Path.of(".")));
    assertThrows(
        DataConfigException.class,
        () ->
            TrainerFactory.inputFeatures(
                yaml("{source: csv, path: x.csv, label: y, features: []}"), Path.of(".")));
  }

  @Test
  void configErrorsNameTheField() {
    assertField("data", null);
    assertField("data.source", "{hospital: 1, seed: 1}");
    assertField("data.source", "{source: parquet}");
    assertField("data.hospital", "{source: synthetic, hospital: 9, seed: 1}");
    assertField("data.hospital", "{source: synthetic, hospital: one, seed: 1}");
    assertField("data.seed", "{source: synthetic, hospital: 1}");
    assertField("data.rows", "{source: synthetic, hospital: 1, seed: 1, rows: 3}");
    assertField("data.hospitl", "{source: synthetic, hospitl: 1, seed: 1}");
    assertField("data.features", "{source: csv, path: x.csv, label: y, features: []}");
    assertField("data.features", "{source: csv, path: x.csv, label: y}");
    assertField("data.path", "{source: csv, label: y, features: [a]}");
    assertField("data.label", "{source: csv, path: x.csv, label: a, features: [a]}");
    assertField(
        "data.categorical.b",
        "{source: csv, path: x.csv, label: y, features: [a], categorical: {b: [u]}}");
    assertField(
        "data.categorical.a",
        "{source: csv, path: x.csv, label: y, features: [a], categorical: {a: []}}");
    assertField(
        "data.missing_sentinels.a",
        "{source: csv, path: x.csv, label: y, features: [a], missing_sentinels: {a: none}}");
    assertField(
        "data.holdout_fraction",
        "{source: csv, path: x.csv, label: y, features: [a], holdout_fraction: 1.5}");
    assertField(
        "data.site_value", "{source: csv, path: x.csv, label: y, features: [a], site_column: h}");
  }

  private static void assertField(String field, String yaml) {
    JsonNode node = yaml == null ? null : yaml(yaml);
    DataConfigException e =
        assertThrows(
            DataConfigException.class, () -> TrainerFactory.fromConfig(node, Path.of(".")));
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
  }

  @Test
  void tasksThatDoNotFitTheSiteAreRejectedWithTheField() {
    LocalTrainer trainer =
        TrainerFactory.fromConfig(yaml("{source: synthetic, hospital: 4, seed: 1}"), Path.of("."));
    ModelSpec narrow = LOGREG.toBuilder().setInputFeatures(5).build();
    assertEquals(
        "model.input_features",
        assertThrows(
                InvalidTaskException.class,
                () -> trainer.train(narrow, SGD, ModelLayout.of(narrow).initialParameters(1)))
            .field());
    assertEquals(
        "parameters",
        assertThrows(InvalidTaskException.class, () -> trainer.train(LOGREG, SGD, new float[3]))
            .field());
    float[] poisoned = ModelLayout.of(LOGREG).initialParameters(1);
    poisoned[2] = Float.NaN;
    assertEquals(
        "parameters",
        assertThrows(InvalidTaskException.class, () -> trainer.train(LOGREG, SGD, poisoned))
            .field());
    assertEquals(
        "training.optimizer",
        assertThrows(
                InvalidTaskException.class,
                () ->
                    trainer.train(
                        LOGREG,
                        SGD.toBuilder().setOptimizer(Optimizer.OPTIMIZER_UNSPECIFIED).build(),
                        ModelLayout.of(LOGREG).initialParameters(1)))
            .field());
    assertEquals(
        "training.batch_size",
        assertThrows(
                InvalidTaskException.class,
                () ->
                    trainer.train(
                        LOGREG,
                        SGD.toBuilder().setBatchSize(0).build(),
                        ModelLayout.of(LOGREG).initialParameters(1)))
            .field());
    assertEquals(
        "model",
        assertThrows(
                InvalidTaskException.class,
                () ->
                    trainer.train(
                        LOGREG.toBuilder().setKind("cnn").build(),
                        SGD,
                        ModelLayout.of(LOGREG).initialParameters(1)))
            .field());
  }
}
