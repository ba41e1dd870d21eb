package org.cohort.site.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.ByteString;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.EvaluationTask;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.v1.Welcome;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.TensorChunkInput;
import org.cohort.protocol.wire.TensorStreamAssembler;
import org.cohort.site.round.AggregationPolicy;
import org.cohort.site.round.PrivacyPolicy;
import org.cohort.site.round.RoundPipeline;
import org.cohort.site.round.TaskPolicy;
import org.cohort.site.training.LocalTrainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The site's protocol handler alone, on an EmbeddedChannel, with a trainer that adds 0.5
 * everywhere.
 */
class CoordinatorSessionTest {

  private static final ModelSpec MODEL =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(5).build();
  private static final int ELEMENTS = ModelLayout.of(MODEL).totalElements();

  private final List<SecAggException> refusals = new ArrayList<>();
  private SiteAgent agent;
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() throws Exception {
    SiteConfig config =
        new SiteConfig(
            "hospital-a",
            new SiteConfig.Endpoint("127.0.0.1", 1),
            new SiteConfig.Kit(
                Path.of("unused-cert.pem"),
                Path.of("unused-key.pem"),
                Path.of("unused-ca.pem"),
                null),
            null,
            JsonNodeFactory.instance.objectNode(),
            null,
            Path.of("."));
    LocalTrainer addHalf = new AddHalf();
    agent = SiteAgent.builder(config, addHalf).tls(SslContextBuilder.forClient().build()).build();
    channel = new EmbeddedChannel(false, false);
    channel.pipeline().addLast("chunked-writer", new ChunkedWriteHandler());
    channel.pipeline().addLast("idle", new IdleStateHandler(0, 0, 0));
    RoundPipeline.Config rounds =
        new RoundPipeline.Config(
            "hospital-a",
            () -> {
              throw new AssertionError("no secure round gets as far as signing");
            },
            refusals::add,
            addHalf,
            new TaskPolicy(
                1000,
                AggregationPolicy.PLAIN_ALLOWED,
                PrivacyPolicy.DEFAULT,
                () -> Optional.of(Instant.MAX)),
            List.of(),
            Runnable::run,
            Runnable::run);
    channel.pipeline().addLast("session", new CoordinatorSession(agent, rounds));
    channel.register();
  }

  /** Adds 0.5 to every parameter; evaluates with fixed metrics. */
  private static final class AddHalf implements LocalTrainer {
    static final LocalMetrics EVALUATION =
        LocalMetrics.newBuilder()
            .setEvalExamples(9)
            .setEvalLoss(0.25)
            .setEvalAccuracy(0.75)
            .setEvalAuroc(0.8)
            .build();

    @Override
    public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
      float[] next = global.clone();
      for (int i = 0; i < next.length; i++) {
        next[i] += 0.5f;
      }
      return new Outcome(next, 42, LocalMetrics.newBuilder().setEvalExamples(7).build());
    }

    @Override
    public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
      return EVALUATION;
    }
  }

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
    agent.close();
  }

  private List<Envelope> outbound() {
    channel.runPendingTasks();
    List<Envelope> out = new ArrayList<>();
    for (Object o; (o = channel.readOutbound()) != null; ) {
      out.add((Envelope) o);
    }
    return out;
  }

  private void welcome() {
    channel.writeInbound(
        Envelopes.stamped("fed", 0)
            .setWelcome(
                Welcome.newBuilder()
                    .setSiteId("hospital-a")
                    .setChunkElements(4)
                    .setHeartbeatIntervalMs(1000))
            .build());
  }

  private void task(long round, RoundTask task, float[] global) {
    channel.writeInbound(Envelopes.stamped("fed", round).setRoundTask(task).build());
    model(round, global);
  }

  private void model(long round, float[] global) {
    TensorChunkInput chunks =
        new TensorChunkInput(global, 4, "fed", round, Stream.STREAM_GLOBAL_MODEL);
    while (!chunks.isEndOfInput()) {
      channel.writeInbound(chunks.readChunk(channel.alloc()));
    }
  }

  private static RoundTask taskFor(ModelSpec model) {
    ModelLayout layout = ModelLayout.of(model);
    return RoundTask.newBuilder()
        .setModel(model)
        .addAllLayout(layout.tensors())
        .setTotalElements(layout.totalElements())
        .build();
  }

  @Test
  void helloFirstThenTheUpdateIsNewMinusOldInChunks() throws InvalidTensorStreamException {
    Envelope hello = outbound().get(0);
    assertEquals("hospital-a", hello.getHello().getClaimedSiteId());
    welcome();
    float[] global = new float[ELEMENTS];
    for (int i = 0; i < ELEMENTS; i++) {
      global[i] = i;
    }
    task(3, taskFor(MODEL), global);

    List<Envelope> sent = outbound();
    Envelope header = sent.get(0);
    assertEquals(3, header.getRound());
    assertEquals("fed", header.getFederationId());
    assertEquals(42, header.getUpdateHeader().getExampleCount());
    assertEquals(ELEMENTS, header.getUpdateHeader().getTotalElements());
    assertEquals(7, header.getUpdateHeader().getMetrics().getEvalExamples());
    float[] update = new float[ELEMENTS];
    TensorStreamAssembler assembler = new TensorStreamAssembler(Stream.STREAM_UPDATE, update, true);
    for (Envelope chunk : sent.subList(1, sent.size())) {
      assembler.accept(chunk.getTensorChunk());
    }
    assertTrue(assembler.isComplete());
    for (float u : update) {
      assertEquals(0.5f, u);
    }
    assertEquals(1, agent.updatesSent());
  }

  @Test
  void aTaskItCannotServeIsDeclined() {
    outbound();
    welcome();
    RoundTask mismatched = taskFor(MODEL).toBuilder().setTotalElements(ELEMENTS + 1).build();
    channel.writeInbound(Envelopes.stamped("fed", 1).setRoundTask(mismatched).build());
    Envelope declined = outbound().get(0);
    assertEquals(DeclineReason.DECLINE_REASON_POLICY, declined.getTaskDeclined().getReason());

    ModelSpec huge =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(100).addHiddenSizes(100).build();
    channel.writeInbound(Envelopes.stamped("fed", 2).setRoundTask(taskFor(huge)).build());
    assertEquals(
        DeclineReason.DECLINE_REASON_POLICY, outbound().get(0).getTaskDeclined().getReason());
  }

  @Test
  void aSecureTaskWhoseSetupDoesNotFitIsDeclinedWithTheTypedRefusal() {
    outbound();
    welcome();
    SecAggParameters parameters =
        new SecAggParameters(3, ELEMENTS, GraphPlan.complete(3, 2), 1.0, 1000);
    RoundSetup others =
        new RoundSetup(
            "fed",
            1,
            List.of(
                ParticipantId.of("hospital-x"),
                ParticipantId.of("hospital-y"),
                ParticipantId.of("hospital-z")),
            new byte[32],
            parameters);
    channel.writeInbound(
        Envelopes.stamped("fed", 1)
            .setRoundTask(
                taskFor(MODEL).toBuilder()
                    .setSecureAggregationSetup(ByteString.copyFrom(others.encode())))
            .build());
    assertEquals(
        DeclineReason.DECLINE_REASON_SECAGG_REFUSED,
        outbound().get(0).getTaskDeclined().getReason());
    assertInstanceOf(SecAggException.InvalidParameters.class, refusals.get(0));

    RoundSetup earlier =
        new RoundSetup(
            "fed",
            1,
            List.of(
                ParticipantId.of("hospital-a"),
                ParticipantId.of("hospital-y"),
                ParticipantId.of("hospital-z")),
            new byte[32],
            parameters);
    channel.writeInbound(
        Envelopes.stamped("fed", 2)
            .setRoundTask(
                taskFor(MODEL).toBuilder()
                    .setSecureAggregationSetup(ByteString.copyFrom(earlier.encode())))
            .build());
    assertEquals(
        DeclineReason.DECLINE_REASON_SECAGG_REFUSED,
        outbound().get(0).getTaskDeclined().getReason());
    assertInstanceOf(SecAggException.WrongRound.class, refusals.get(1));
    assertEquals(0, agent.updatesSent(), "nothing is sent in the clear for a secure task");
  }

  @Test
  void anEvaluationTaskIsAnsweredWithTheTrainersMetricsAndNoUpdate() {
    outbound();
    welcome();
    ModelLayout layout = ModelLayout.of(MODEL);
    channel.writeInbound(
        Envelopes.stamped("fed", 11)
            .setEvaluationTask(
                EvaluationTask.newBuilder()
                    .setModel(MODEL)
                    .addAllLayout(layout.tensors())
                    .setTotalElements(layout.totalElements()))
            .build());
    model(11, new float[ELEMENTS]);

    List<Envelope> sent = outbound();
    assertEquals(1, sent.size(), "one answer: " + sent);
    Envelope result = sent.get(0);
    assertEquals(Envelope.BodyCase.EVALUATION_RESULT, result.getBodyCase());
    assertEquals(11, result.getRound());
    assertEquals("fed", result.getFederationId());
    assertEquals(AddHalf.EVALUATION, result.getEvaluationResult().getMetrics());
    assertEquals(0, agent.updatesSent());
  }
}
