package org.cohort.coordinator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.aggregate.StreamingSum;
import org.cohort.coordinator.aggregate.UpdateAggregator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.strategy.FedAvg;
import org.cohort.coordinator.strategy.RoundConfig;
import org.cohort.coordinator.strategy.ServerStrategy;
import org.cohort.coordinator.strategy.StrategyName;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.EvaluationResult;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.RoundStatus;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.EncodedTensor;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federation's round lifecycle over fake site channels (no sockets): rounds end by their
 * deadline whatever happens, and the final model is evaluated on every site.
 */
class FederationTest {

  private static final String FEDERATION = "federation-test";
  private static final int ELEMENTS = 3; // logreg over 2 features: 2 weights + 1 bias

  private final ScheduledExecutorService roundThread = Executors.newSingleThreadScheduledExecutor();
  private final CoordinatorMetrics metrics = new CoordinatorMetrics();
  private final List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
  private final List<EvaluationTable> evaluations = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    roundThread.shutdownNow();
  }

  /**
   * A site's connection as the federation sees it; records what was sent and feeds uploads by hand.
   */
  static final class FakeChannel implements SiteChannel {
    final String site;
    final List<Envelope> sent = new CopyOnWriteArrayList<>();
    volatile StagedUpload admitted;
    volatile boolean closed;

    FakeChannel(String site) {
      this.site = site;
    }

    @Override
    public String siteId() {
      return site;
    }

    @Override
    public void send(Envelope envelope) {
      sent.add(envelope);
    }

    @Override
    public void sendWithModel(Envelope envelope, EncodedTensor model) {
      sent.add(envelope);
    }

    @Override
    public CompletableFuture<Void> close(Envelope last) {
      sent.add(last);
      closed = true;
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void admitUpload(StagedUpload upload) {
      admitted = upload;
    }

    @Override
    public void revokeUpload(StagedUpload upload) {
      if (admitted == upload) {
        admitted = null;
        upload.failed();
      }
    }

    @Override
    public void refuseUpload(long round, ErrorCode code, String detail) {
      sent.add(Envelopes.error(FEDERATION, round, code, detail, false));
    }

    boolean got(long round, Envelope.BodyCase kind) {
      return sent.stream().anyMatch(e -> e.getRound() == round && e.getBodyCase() == kind);
    }

    Envelope last(Envelope.BodyCase kind) {
      return sent.stream().filter(e -> e.getBodyCase() == kind).reduce((a, b) -> b).orElseThrow();
    }
  }

  private CoordinatorConfig config(Path dir, int rounds, double deadlineSeconds) {
    return config(dir, rounds, deadlineSeconds, 2);
  }

  private CoordinatorConfig config(Path dir, int rounds, double deadlineSeconds, int minPerRound) {
    return CoordinatorConfig.starter(FEDERATION, dir, List.of("site-a", "site-b"), 2)
        .withAggregation(new CoordinatorConfig.Aggregation(1, null, null))
        .withSites(new CoordinatorConfig.Sites(List.of("site-a", "site-b"), minPerRound))
        .withRounds(new CoordinatorConfig.Rounds(rounds, deadlineSeconds))
        .withSecureAggregation(CoordinatorConfig.SecureAggregation.DISABLED)
        .validated();
  }

  private Federation federation(CoordinatorConfig config, ServerStrategy strategy) {
    return federation(config, strategy, () -> new StreamingSum(ELEMENTS));
  }

  private Federation federation(
      CoordinatorConfig config, ServerStrategy strategy, Supplier<UpdateAggregator> aggregators) {
    Federation federation =
        new Federation(config, strategy, aggregators, roundThread, metrics, Clock.systemUTC());
    federation.addListener(
        new RoundListener() {
          @Override
          public void roundFinished(RoundSummary summary) {
            summaries.add(summary);
          }

          @Override
          public void evaluationFinished(EvaluationTable table) {
            evaluations.add(table);
          }
        });
    return federation;
  }

  private static void upload(
      Federation federation, FakeChannel channel, long round, float... update)
      throws InvalidTensorStreamException {
    channel.admitted = null;
    federation.requestUpload(
        channel,
        Envelopes.stamped(FEDERATION, round)
            .setUpdateHeader(
                UpdateHeader.newBuilder().setExampleCount(10).setTotalElements(ELEMENTS))
            .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> channel.admitted != null);
    ByteBuffer bytes =
        ByteBuffer.allocate(update.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(update);
    TensorChunk chunk =
        TensorChunk.newBuilder()
            .setStream(Stream.STREAM_UPDATE)
            .setOffset(0)
            .setData(ByteString.copyFrom(bytes.array()))
            .setLast(true)
            .build();
    assertTrue(channel.admitted.accept(chunk));
    channel.admitted.completed();
  }

  /** FedAvg, except that applying the first aggregate fails the way a full heap does. */
  static class FailsOnceWhileApplying implements ServerStrategy {
    private final FedAvg fedAvg = new FedAvg(StrategyName.FEDAVG);
    final AtomicInteger applications = new AtomicInteger();

    @Override
    public String name() {
      return fedAvg.name();
    }

    @Override
    public RoundConfig configureRound(long round, List<String> available, TrainingSettings base) {
      return fedAvg.configureRound(round, available, base);
    }

    @Override
    public float[] apply(float[] global, AggregateUpdate aggregate) {
      if (applications.getAndIncrement() == 0) {
        throw new OutOfMemoryError("Java heap space");
      }
      return fedAvg.apply(global, aggregate);
    }

    @Override
    public byte[] state() {
      return fedAvg.state();
    }

    @Override
    public void restore(byte[] state) {
      fedAvg.restore(state);
    }
  }

  /**
   * The 50-site × 10M-parameter stall, scaled down: the coordinator's heap ran out while it applied
   * a round's aggregate, the error vanished inside the round executor, and the round — already
   * marked complete — was never ended: no deadline fired for it and no round started again. Now the
   * failure abandons the round and the next one runs.
   */
  @Test
  void aFailureWhileApplyingAbandonsTheRoundAndTheNextRoundRuns(@TempDir Path dir)
      throws Exception {
    FailsOnceWhileApplying strategy = new FailsOnceWhileApplying();
    Federation federation = federation(config(dir, 1, 30), strategy);
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel b = new FakeChannel("site-b");
    federation.join(a);
    federation.join(b);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(1, Envelope.BodyCase.ROUND_TASK));
    upload(federation, a, 1, 1f, 1f, 1f);
    upload(federation, b, 1, 1f, 1f, 1f);

    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(2, Envelope.BodyCase.ROUND_TASK));
    assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
    assertTrue(
        summaries.get(0).abandonReason().contains("OutOfMemoryError"),
        summaries.get(0).abandonReason());
    assertEquals(
        RoundStatus.ROUND_STATUS_ABANDONED,
        a.last(Envelope.BodyCase.ROUND_RESULT).getRoundResult().getStatus());

    upload(federation, a, 2, 2f, 2f, 2f);
    upload(federation, b, 2, 4f, 4f, 4f);
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 2);
    assertEquals(RoundPhase.COMPLETED, summaries.get(1).phase());
    float[] initial =
        config(dir, 1, 30).layout().initialParameters(config(dir, 1, 30).model().seed());
    assertEquals(
        initial[0] + 3f,
        federation.snapshot().parameters()[0],
        1e-6f,
        "round 2 applied the mean update");
  }

  /**
   * The same heap exhaustion one step later, as the 400 MiB benchmark run met it: allocating the
   * next round's accumulator fails, so there is no round to abandon. The federation tries again and
   * the round runs.
   */
  @Test
  void aFailureWhileStartingARoundIsRetried(@TempDir Path dir) throws Exception {
    AtomicInteger allocations = new AtomicInteger();
    Supplier<UpdateAggregator> failsFirst =
        () -> {
          if (allocations.getAndIncrement() == 0) {
            throw new OutOfMemoryError("Java heap space");
          }
          return new StreamingSum(ELEMENTS);
        };
    Federation federation =
        federation(config(dir, 1, 30), new FedAvg(StrategyName.FEDAVG), failsFirst);
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel b = new FakeChannel("site-b");
    federation.join(a);
    federation.join(b);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> a.sent.stream().anyMatch(Envelope::hasRoundTask));
    long round = a.last(Envelope.BodyCase.ROUND_TASK).getRound();
    upload(federation, a, round, 1f, 1f, 1f);
    upload(federation, b, round, 1f, 1f, 1f);
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 1);
    assertEquals(RoundPhase.COMPLETED, summaries.get(0).phase());
    assertEquals(2, allocations.get(), "the first start failed, the retry succeeded");
  }

  /**
   * A participant that is tasked and then says nothing: the round still ends by its deadline and
   * the next starts.
   */
  @Test
  void aSilentParticipantCannotHoldTheRoundPastItsDeadline(@TempDir Path dir) throws Exception {
    Federation federation = federation(config(dir, 2, 0.5), new FedAvg(StrategyName.FEDAVG));
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel silent = new FakeChannel("site-b");
    federation.join(a);
    federation.join(silent);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(1, Envelope.BodyCase.ROUND_TASK));
    upload(federation, a, 1, 1f, 1f, 1f);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(2, Envelope.BodyCase.ROUND_TASK));
    assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
    assertTrue(
        summaries.get(0).abandonReason().contains("1 of the required 2"),
        summaries.get(0).abandonReason());
  }

  /**
   * A plain round's phase deadline and hard deadline are the same instant: with enough uploads the
   * round is aggregated at that instant, never abandoned, whichever of the two timers fires first.
   */
  @Test
  void enoughUploadsAtTheDeadlineCompleteTheRound(@TempDir Path dir) throws Exception {
    Federation federation = federation(config(dir, 3, 0.3, 1), new FedAvg(StrategyName.FEDAVG));
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel silent = new FakeChannel("site-b");
    federation.join(a);
    federation.join(silent);
    for (long round = 1; round <= 3; round++) {
      long number = round;
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> a.got(number, Envelope.BodyCase.ROUND_TASK));
      upload(federation, a, round, 1f, 1f, 1f);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 3);
    for (RoundSummary summary : summaries) {
      assertEquals(RoundPhase.COMPLETED, summary.phase(), summary.abandonReason());
    }
  }

  /** A strategy (or a sum) that produces a non-finite model: the round is not applied. */
  @Test
  void aNonFiniteNewModelIsNotApplied(@TempDir Path dir) throws Exception {
    ServerStrategy infinite =
        new FailsOnceWhileApplying() {
          @Override
          public float[] apply(float[] global, AggregateUpdate aggregate) {
            float[] next = global.clone();
            next[0] = Float.POSITIVE_INFINITY;
            return next;
          }
        };
    Federation federation = federation(config(dir, 1, 30), infinite);
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel b = new FakeChannel("site-b");
    federation.join(a);
    federation.join(b);
    float[] before = federation.snapshot().parameters();
    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(1, Envelope.BodyCase.ROUND_TASK));
    upload(federation, a, 1, 1f, 1f, 1f);
    upload(federation, b, 1, 1f, 1f, 1f);
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 1);
    assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
    assertEquals("the new model is not finite", summaries.get(0).abandonReason());
    assertEquals(before[0], federation.snapshot().parameters()[0]);
    assertEquals(0, federation.snapshot().completedRounds());
  }

  @Test
  void abandonedRoundsBackOffExponentiallyUpToAMinute() {
    assertEquals(Duration.ZERO, Federation.backoff(0));
    assertEquals(Duration.ofSeconds(1), Federation.backoff(1));
    assertEquals(Duration.ofSeconds(2), Federation.backoff(2));
    assertEquals(Duration.ofSeconds(32), Federation.backoff(6));
    assertEquals(Duration.ofSeconds(60), Federation.backoff(7));
    assertEquals(Duration.ofSeconds(60), Federation.backoff(1000));
  }

  /**
   * A hostile site announces an upload, is granted the only staging buffer, and sends nothing more.
   * Its grant expires with the round: the buffer comes back, and the next round's uploads are
   * received (before, the buffer was held for good and every later round starved).
   */
  @Test
  void aGrantedUploadThatNeverArrivesGivesItsBufferBackWhenTheRoundEnds(@TempDir Path dir)
      throws Exception {
    Federation federation = federation(config(dir, 2, 0.5, 1), new FedAvg(StrategyName.FEDAVG));
    FakeChannel hostile = new FakeChannel("site-a");
    FakeChannel honest = new FakeChannel("site-b");
    federation.join(hostile);
    federation.join(honest);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> hostile.got(1, Envelope.BodyCase.ROUND_TASK));
    announce(federation, hostile, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> hostile.admitted != null);
    // The honest upload waits for the buffer the hostile site holds: round 1 ends without it.
    announce(federation, honest, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 1);
    assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());

    await().atMost(Duration.ofSeconds(10)).until(() -> honest.got(2, Envelope.BodyCase.ROUND_TASK));
    upload(federation, honest, 2, 1f, 1f, 1f);
    await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() == 2);
    assertEquals(RoundPhase.COMPLETED, summaries.get(1).phase(), summaries.get(1).abandonReason());
  }

  private static void announce(Federation federation, FakeChannel channel, long round) {
    federation.requestUpload(
        channel,
        Envelopes.stamped(FEDERATION, round)
            .setUpdateHeader(
                UpdateHeader.newBuilder().setExampleCount(10).setTotalElements(ELEMENTS))
            .build());
  }

  @Test
  void theFinalModelIsEvaluatedOnEverySiteBeforeTheFederationFinishes(@TempDir Path dir)
      throws Exception {
    Federation federation = federation(config(dir, 1, 30), new FedAvg(StrategyName.FEDAVG));
    FakeChannel a = new FakeChannel("site-a");
    FakeChannel b = new FakeChannel("site-b");
    federation.join(a);
    federation.join(b);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.got(1, Envelope.BodyCase.ROUND_TASK));
    upload(federation, a, 1, 1f, 1f, 1f);
    upload(federation, b, 1, 1f, 1f, 1f);

    await().atMost(Duration.ofSeconds(10)).until(() -> b.got(2, Envelope.BodyCase.EVALUATION_TASK));
    assertTrue(a.got(2, Envelope.BodyCase.EVALUATION_TASK));
    assertFalse(federation.finished().isDone(), "the federation waits for the evaluation");
    federation.evaluationResult(a, evaluation(2, 40, 0.9));
    federation.evaluationResult(
        b, evaluation(1, 99, 0.1)); // a stale round: refused, the table is unchanged
    federation.evaluationResult(b, evaluation(2, 60, 0.7));

    await().atMost(Duration.ofSeconds(10)).until(() -> federation.finished().isDone());
    EvaluationTable table = evaluations.get(0);
    assertEquals(2, table.round());
    Map<String, EvaluationTable.Row> rows = new ConcurrentHashMap<>();
    table.sites().forEach(row -> rows.put(row.site(), row));
    assertEquals(60, rows.get("site-b").examples());
    assertEquals(0.7, rows.get("site-b").auroc());
    assertEquals(0.8, table.meanOverSites().auroc(), 1e-12);
    assertEquals(1, federation.snapshot().completedRounds());
    await().atMost(Duration.ofSeconds(10)).until(() -> a.closed && b.closed);
    assertTrue(
        b.got(1, Envelope.BodyCase.ERROR),
        "the stale evaluation result was refused with a typed error");
  }

  private static Envelope evaluation(long round, long examples, double auroc) {
    return Envelopes.stamped(FEDERATION, round)
        .setEvaluationResult(
            EvaluationResult.newBuilder()
                .setMetrics(
                    LocalMetrics.newBuilder()
                        .setEvalExamples(examples)
                        .setEvalLoss(0.5)
                        .setEvalAuroc(auroc)
                        .setEvalAccuracy(0.75)))
        .build();
  }
}
