package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.privacy.noise.L2Clipping;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.EvaluationTask;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TaskDeclined;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.wire.FloatsLittleEndian;
import org.cohort.site.training.LocalTrainer;
import org.junit.jupiter.api.Test;

/**
 * The site's round pipeline without sockets: a fake trainer, real clipping, replies collected in a
 * list.
 */
class RoundPipelineTest {

  static final ModelSpec MODEL =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(5).build();
  static final int ELEMENTS = ModelLayout.of(MODEL).totalElements();
  static final TrainingSettings SETTINGS =
      TrainingSettings.newBuilder().setEpochs(1).setSeed(3).build();

  /** Adds {@link #delta()} to the global model from 42 examples; evaluates with fixed metrics. */
  static class FakeTrainer implements LocalTrainer {
    static final LocalMetrics TRAINING =
        LocalMetrics.newBuilder().setEvalExamples(7).setTrainLoss(0.5).build();
    static final LocalMetrics EVALUATION =
        LocalMetrics.newBuilder()
            .setEvalExamples(9)
            .setEvalLoss(0.25)
            .setEvalAccuracy(0.75)
            .setEvalAuroc(0.8)
            .build();
    static final MetricSums SUMS =
        MetricSums.of(new float[] {2f, -1f, 0.5f}, new float[] {1f, 0f, 0f});
    final List<float[]> trainedFrom = new ArrayList<>();
    final List<float[]> evaluated = new ArrayList<>();

    /** 0.25, 0.5, ..., 1.5: exact in float32, so new − old recovers it bit for bit. */
    static float[] delta() {
      float[] delta = new float[ELEMENTS];
      for (int i = 0; i < ELEMENTS; i++) {
        delta[i] = 0.25f * (i + 1);
      }
      return delta;
    }

    @Override
    public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
      trainedFrom.add(global.clone());
      float[] next = global.clone();
      float[] delta = delta();
      for (int i = 0; i < next.length; i++) {
        next[i] += delta[i];
      }
      return new Outcome(next, 42, TRAINING, SUMS);
    }

    @Override
    public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
      evaluated.add(parameters.clone());
      return EVALUATION;
    }
  }

  /** Runs what it is given only when told: lets a test interleave the threads' work. */
  static final class ManualExecutor implements Executor {
    private final Queue<Runnable> queued = new ArrayDeque<>();

    @Override
    public void execute(Runnable task) {
      queued.add(task);
    }

    void runAll() {
      for (Runnable task; (task = queued.poll()) != null; ) {
        task.run();
      }
    }
  }

  final List<Reply> sent = new ArrayList<>();
  final List<SecAggException> refusals = new ArrayList<>();

  RoundPipeline pipeline(
      LocalTrainer trainer, List<UpdateTransform> transforms, Executor trainingThread) {
    RoundPipeline.Config config =
        new RoundPipeline.Config(
            "hospital-a",
            () -> {
              throw new AssertionError("plain tasks never need the signing identity");
            },
            refusals::add,
            trainer,
            new TaskPolicy(
                1000,
                AggregationPolicy.PLAIN_ALLOWED,
                PrivacyPolicy.DEFAULT,
                () -> Optional.of(Instant.MAX)),
            transforms,
            trainingThread,
            Runnable::run);
    return new RoundPipeline(config, Runnable::run, sent::add);
  }

  static RoundTask task() {
    ModelLayout layout = ModelLayout.of(MODEL);
    return RoundTask.newBuilder()
        .setModel(MODEL)
        .addAllLayout(layout.tensors())
        .setTotalElements(ELEMENTS)
        .setTraining(SETTINGS)
        .build();
  }

  /** 0, 1, 2, ...: integers, so global + delta − global is exact. */
  static float[] global() {
    float[] global = new float[ELEMENTS];
    for (int i = 0; i < ELEMENTS; i++) {
      global[i] = i;
    }
    return global;
  }

  /** The model in chunks of two elements. */
  static void sendModel(RoundPipeline pipeline, long round, float[] model) {
    for (int offset = 0; offset < model.length; offset += 2) {
      int length = Math.min(2, model.length - offset);
      pipeline.modelChunk(
          round,
          TensorChunk.newBuilder()
              .setStream(Stream.STREAM_GLOBAL_MODEL)
              .setOffset(offset)
              .setData(FloatsLittleEndian.encode(model, offset, length))
              .setLast(offset + length == model.length)
              .build());
    }
  }

  static TaskDeclined declined(Reply reply) {
    Envelope envelope = assertInstanceOf(Reply.Message.class, reply).envelope();
    assertTrue(envelope.hasTaskDeclined(), "expected a decline, got " + envelope.getBodyCase());
    return envelope.getTaskDeclined();
  }

  @Test
  void aPlainRoundUploadsNewMinusOldWithTheTrainersCountAndMetrics() {
    FakeTrainer trainer = new FakeTrainer();
    RoundPipeline pipeline = pipeline(trainer, List.of(), Runnable::run);
    pipeline.welcomed("fed");
    pipeline.roundTask(3, task());
    sendModel(pipeline, 3, global());

    assertArrayEquals(global(), trainer.trainedFrom.get(0));
    Reply.PlainUpload upload = assertInstanceOf(Reply.PlainUpload.class, sent.get(0));
    assertEquals(1, sent.size());
    assertEquals(3, upload.header().getRound());
    assertEquals("fed", upload.header().getFederationId());
    assertEquals(42, upload.header().getUpdateHeader().getExampleCount());
    assertEquals(ELEMENTS, upload.header().getUpdateHeader().getTotalElements());
    assertEquals(FakeTrainer.TRAINING, upload.header().getUpdateHeader().getMetrics());
    assertArrayEquals(FakeTrainer.delta(), upload.update());
  }

  @Test
  void anL2ClipScalesTheWholeUpdateDownAndKeepsItsDirection() {
    RoundPipeline pipeline = pipeline(new FakeTrainer(), List.of(new L2Clip(1.0)), Runnable::run);
    pipeline.welcomed("fed");
    pipeline.roundTask(1, task());
    sendModel(pipeline, 1, global());

    float[] update = assertInstanceOf(Reply.PlainUpload.class, sent.get(0)).update();
    float[] delta = FakeTrainer.delta();
    assertTrue(L2Clipping.norm(delta) > 2, "the test's delta must need clipping");
    double norm = L2Clipping.norm(update);
    assertTrue(norm <= 1.0 && norm > 0.999, "clipped norm " + norm);
    for (int i = 0; i < ELEMENTS; i++) {
      assertEquals(
          update[0] / delta[0],
          update[i] / delta[i],
          1e-6,
          "every coordinate shrinks by the same factor");
    }
    assertThrows(IllegalArgumentException.class, () -> new L2Clip(0));
    assertThrows(IllegalArgumentException.class, () -> new L2Clip(Double.POSITIVE_INFINITY));
  }

  @Test
  void aRefusedTaskIsDeclinedAtOnceAndItsModelIgnored() {
    FakeTrainer trainer = new FakeTrainer();
    RoundPipeline pipeline = pipeline(trainer, List.of(), Runnable::run);
    pipeline.roundTask(1, task());
    assertEquals("task before welcome", declined(sent.get(0)).getDetail());
    assertEquals("", ((Reply.Message) sent.get(0)).envelope().getFederationId());

    pipeline.welcomed("fed");
    pipeline.roundTask(2, task().toBuilder().setTotalElements(ELEMENTS + 1).build());
    sendModel(pipeline, 2, global());
    TaskDeclined mismatch = declined(sent.get(1));
    assertEquals(DeclineReason.DECLINE_REASON_POLICY, mismatch.getReason());
    assertEquals("task layout does not match its model", mismatch.getDetail());
    assertEquals(2, sent.size(), "the refused task's model chunks are dropped");
    assertTrue(trainer.trainedFrom.isEmpty());
  }

  @Test
  void aSecureSetupNotNamingThisSiteIsRefusedWithTheEnginesTypedRefusal() {
    RoundPipeline pipeline = pipeline(new FakeTrainer(), List.of(), Runnable::run);
    pipeline.welcomed("fed");
    pipeline.roundTask(
        1,
        task().toBuilder()
            .setSecureAggregationSetup(
                TaskPolicyTest.encoded(TaskPolicyTest.setup("fed", 1, ELEMENTS, "hospital-x")))
            .build());
    sendModel(pipeline, 1, global());

    assertEquals(DeclineReason.DECLINE_REASON_SECAGG_REFUSED, declined(sent.get(0)).getReason());
    assertEquals(1, sent.size(), "nothing is trained or sent in the clear");
    assertInstanceOf(SecAggException.InvalidParameters.class, refusals.get(0));
  }

  @Test
  void aNewerTaskSupersedesOneStillTraining() {
    ManualExecutor training = new ManualExecutor();
    RoundPipeline pipeline = pipeline(new FakeTrainer(), List.of(), training);
    pipeline.welcomed("fed");
    pipeline.roundTask(1, task());
    sendModel(pipeline, 1, global());
    pipeline.roundTask(2, task());
    sendModel(pipeline, 2, global());
    training.runAll();

    assertEquals(1, sent.size());
    assertEquals(2, assertInstanceOf(Reply.PlainUpload.class, sent.get(0)).header().getRound());
  }

  @Test
  void nothingIsSentForARoundThatEndedWhileTraining() {
    ManualExecutor training = new ManualExecutor();
    FakeTrainer trainer = new FakeTrainer();
    RoundPipeline pipeline = pipeline(trainer, List.of(), training);
    pipeline.welcomed("fed");
    pipeline.roundTask(1, task());
    sendModel(pipeline, 1, global());
    pipeline.roundEnded(1);
    training.runAll();

    assertEquals(1, trainer.trainedFrom.size());
    assertEquals(List.of(), sent);
  }

  @Test
  void aTrainerThatFailsOrReturnsAnUnusableModelIsDeclined() {
    FakeTrainer throwing =
        new FakeTrainer() {
          @Override
          public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
            throw new IllegalStateException("out of memory");
          }
        };
    FakeTrainer nonFinite =
        new FakeTrainer() {
          @Override
          public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
            float[] next = global.clone();
            next[2] = Float.NaN;
            return new Outcome(next, 42, TRAINING, SUMS);
          }
        };
    FakeTrainer noExamples =
        new FakeTrainer() {
          @Override
          public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
            return new Outcome(global.clone(), 0, TRAINING);
          }
        };
    List<String> details = new ArrayList<>();
    for (FakeTrainer trainer : List.of(throwing, nonFinite, noExamples)) {
      sent.clear();
      RoundPipeline pipeline = pipeline(trainer, List.of(new L2Clip(1.0)), Runnable::run);
      pipeline.welcomed("fed");
      pipeline.roundTask(1, task());
      sendModel(pipeline, 1, global());
      assertEquals(1, sent.size());
      details.add(declined(sent.get(0)).getDetail());
    }
    assertEquals(
        List.of(
            "local training failed",
            "trainer returned an unusable model",
            "trainer returned an unusable model"),
        details);
  }

  @Test
  void anInvalidModelStreamEndsTheTask() {
    FakeTrainer trainer = new FakeTrainer();
    RoundPipeline pipeline = pipeline(trainer, List.of(), Runnable::run);
    pipeline.welcomed("fed");
    pipeline.roundTask(1, task());
    float[] global = global();
    pipeline.modelChunk(
        1,
        TensorChunk.newBuilder()
            .setStream(Stream.STREAM_GLOBAL_MODEL)
            .setOffset(2)
            .setData(FloatsLittleEndian.encode(global, 0, 2))
            .build());
    sendModel(pipeline, 1, global);

    assertTrue(declined(sent.get(0)).getDetail().startsWith("invalid global model stream: "));
    assertEquals(1, sent.size(), "the rest of the stream is dropped");
    assertTrue(trainer.trainedFrom.isEmpty());
  }

  @Test
  void anEvaluationTaskIsAnsweredWithMetricsOnlyAndTrainsNothing() {
    FakeTrainer trainer = new FakeTrainer();
    RoundPipeline pipeline = pipeline(trainer, List.of(), Runnable::run);
    pipeline.welcomed("fed");
    pipeline.evaluationTask(
        9,
        EvaluationTask.newBuilder()
            .setModel(MODEL)
            .addAllLayout(ModelLayout.of(MODEL).tensors())
            .setTotalElements(ELEMENTS)
            .build());
    sendModel(pipeline, 9, global());

    Envelope result = assertInstanceOf(Reply.Message.class, sent.get(0)).envelope();
    assertEquals(1, sent.size());
    assertEquals(9, result.getRound());
    assertEquals(FakeTrainer.EVALUATION, result.getEvaluationResult().getMetrics());
    assertArrayEquals(global(), trainer.evaluated.get(0));
    assertTrue(trainer.trainedFrom.isEmpty());

    pipeline.evaluationTask(
        10, EvaluationTask.newBuilder().setModel(MODEL).setTotalElements(ELEMENTS).build());
    assertEquals("task layout does not match its model", declined(sent.get(1)).getDetail());
  }

  /**
   * Issue 10, finding 7: a coordinator that picks the training seed can replay a site's training
   * (its records are the only unknown left) and subtract it from a sum. The site seeds every run
   * from its own SecureRandom, whatever seed the task carries.
   */
  @Test
  void everyTrainingRunIsSeededByTheSiteNotByTheTask() {
    List<Long> seeds = new ArrayList<>();
    FakeTrainer recording =
        new FakeTrainer() {
          @Override
          public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
            seeds.add(settings.getSeed());
            return super.train(model, settings, global);
          }
        };
    RoundPipeline pipeline = pipeline(recording, List.of(), Runnable::run);
    pipeline.welcomed("fed");
    for (long round = 1; round <= 3; round++) {
      pipeline.roundTask(round, task());
      sendModel(pipeline, round, global());
    }
    assertEquals(3, seeds.size());
    assertEquals(3, seeds.stream().distinct().count(), "identical tasks, distinct seeds");
    assertTrue(
        seeds.stream().noneMatch(seed -> seed == SETTINGS.getSeed()),
        "the task's seed is never used");
  }
}
