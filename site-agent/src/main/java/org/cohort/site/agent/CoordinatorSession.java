package org.cohort.site.agent;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Hello;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TaskDeclined;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.v1.Welcome;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.ProtocolVersion;
import org.cohort.protocol.wire.TensorChunkInput;
import org.cohort.protocol.wire.TensorStreamAssembler;
import org.cohort.site.training.LocalTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's side of one connection: hello, then for each round task receive the global model,
 * train off the event loop, and send the update (new - old weights) in chunks — in the clear for a
 * plain task, masked through a {@link SecureRound} when the task carries a secure-aggregation
 * setup. A task that is newer than the one being trained supersedes it; the stale result is dropped.
 */
final class CoordinatorSession extends SimpleChannelInboundHandler<Envelope> {

  private static final Logger log = LoggerFactory.getLogger(CoordinatorSession.class);

  private final SiteAgent agent;
  private final LocalTrainer trainer;
  private final Executor trainingThread;
  private final Executor secureThread;
  private final long maxModelElements;
  private volatile String federationId;
  private ChannelHandlerContext ctx;
  private int chunkElements;
  private long taskRound;
  private RoundTask task;
  private TensorStreamAssembler modelStream;
  /** The current task's secure round; null for a plain FedAvg task. */
  private SecureRound secure;

  CoordinatorSession(SiteAgent agent, LocalTrainer trainer, Executor trainingThread, Executor secureThread,
                     long maxModelElements) {
    this.agent = agent;
    this.trainer = trainer;
    this.trainingThread = trainingThread;
    this.secureThread = secureThread;
    this.maxModelElements = maxModelElements;
  }

  /** Null until the Welcome names the federation: envelopes of any federation are accepted until then. */
  String federationId() {
    return federationId;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    // Written now, sent by the TLS handler as soon as its handshake completes.
    ctx.writeAndFlush(Envelopes.stamped("", 0).setHello(Hello.newBuilder()
        .setClaimedSiteId(agent.claimedSiteId())
        .setAgentVersion("cohort-site/" + ProtocolVersion.describe(ProtocolVersion.MAJOR, ProtocolVersion.MINOR)))
        .build());
    super.channelActive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
    switch (envelope.getBodyCase()) {
      case WELCOME -> onWelcome(ctx, envelope);
      case ROUND_TASK -> onRoundTask(ctx, envelope);
      case TENSOR_CHUNK -> onModelChunk(ctx, envelope);
      case ADVERT_BUNDLE -> {
        if (isSecureRound(envelope)) {
          secure.adverts(envelope.getAdvertBundle());
        }
      }
      case SHARE_DELIVERY -> {
        if (isSecureRound(envelope)) {
          secure.shares(envelope.getShareDelivery());
        }
      }
      case UNMASK_REQUEST -> {
        if (isSecureRound(envelope)) {
          secure.unmask(envelope.getUnmaskRequest());
        }
      }
      case ROUND_RESULT -> {
        if (isSecureRound(envelope)) {
          secure = null;
        }
        log.info("{}: round {} {} with {} contributions", agent.siteId(), envelope.getRound(),
            envelope.getRoundResult().getStatus(), envelope.getRoundResult().getContributions());
        agent.roundResult();
      }
      case ERROR -> {
        log.warn("{}: coordinator reported {} ({})", agent.siteId(), envelope.getError().getCode(),
            envelope.getError().getDetail());
        agent.errorReceived(envelope.getError());
      }
      case GOODBYE -> {
        log.info("{}: coordinator said goodbye: {}", agent.siteId(), envelope.getGoodbye().getReason());
        if (envelope.getGoodbye().getFederationFinished()) {
          agent.federationFinished();
        }
        ctx.close();
      }
      default -> log.warn("{}: ignoring unexpected {}", agent.siteId(), envelope.getBodyCase());
    }
  }

  private boolean isSecureRound(Envelope envelope) {
    if (secure == null || secure.round() != envelope.getRound()) {
      log.debug("{}: dropping {} outside its secure round", agent.siteId(), envelope.getBodyCase());
      return false;
    }
    return true;
  }

  private void onWelcome(ChannelHandlerContext ctx, Envelope envelope) {
    Welcome welcome = envelope.getWelcome();
    federationId = envelope.getFederationId();
    chunkElements = welcome.getChunkElements();
    int heartbeat = Math.max(10, welcome.getHeartbeatIntervalMs());
    ctx.pipeline().replace("idle", "idle", new IdleStateHandler(heartbeat * 4L, heartbeat, 0, TimeUnit.MILLISECONDS));
    agent.welcomed();
  }

  private void onRoundTask(ChannelHandlerContext ctx, Envelope envelope) {
    RoundTask next = envelope.getRoundTask();
    String problem = checkTask(next);
    if (problem != null) {
      decline(ctx, envelope.getRound(), DeclineReason.DECLINE_REASON_POLICY, problem);
      return;
    }
    if (secure != null) {
      secure.cancel();
      secure = null;
    }
    if (!next.getSecureAggregationSetup().isEmpty()) {
      RoundSetup setup;
      try {
        setup = RoundSetup.decode(next.getSecureAggregationSetup().toByteArray());
        checkSetup(setup, envelope.getRound(), next);
      } catch (SecAggException e) {
        agent.secureAggregationRefused(e);
        decline(ctx, envelope.getRound(), DeclineReason.DECLINE_REASON_SECAGG_REFUSED,
            e.getClass().getSimpleName() + ": " + e.getMessage());
        return;
      }
      secure = new SecureRound(agent, ctx, secureThread, setup, chunkElements);
      secure.start();
    }
    taskRound = envelope.getRound();
    task = next;
    modelStream = new TensorStreamAssembler(Stream.STREAM_GLOBAL_MODEL, new float[(int) next.getTotalElements()], true);
  }

  /** The setup must be for this federation, round and model, and name this site. */
  private void checkSetup(RoundSetup setup, long round, RoundTask next) {
    setup.requireRound(federationId, round);
    if (setup.parameters().vectorLength() != next.getTotalElements()) {
      throw new SecAggException.InvalidParameters("secure aggregation setup is for " + setup.parameters().vectorLength()
          + " parameters, the model has " + next.getTotalElements());
    }
    if (!setup.participants().contains(ParticipantId.of(agent.siteId()))) {
      throw new SecAggException.InvalidParameters(agent.siteId() + " is not among the round's participants");
    }
  }

  private String checkTask(RoundTask next) {
    if (chunkElements < 1) {
      return "task before welcome";
    }
    ModelLayout layout;
    try {
      layout = ModelLayout.of(next.getModel());
    } catch (IllegalArgumentException | ArithmeticException e) {
      return "unsupported model: " + e.getMessage();
    }
    if (layout.totalElements() > maxModelElements) {
      return "model has more parameters than this site accepts";
    }
    if (next.getTotalElements() != layout.totalElements() || !layout.tensors().equals(next.getLayoutList())) {
      return "task layout does not match its model";
    }
    return null;
  }

  private void onModelChunk(ChannelHandlerContext ctx, Envelope envelope) {
    if (modelStream == null || envelope.getRound() != taskRound) {
      log.debug("{}: dropping a model chunk outside a task", agent.siteId());
      return;
    }
    try {
      if (modelStream.accept(envelope.getTensorChunk())) {
        float[] global = modelStream.target();
        modelStream = null;
        train(ctx, taskRound, task, global);
      }
    } catch (InvalidTensorStreamException e) {
      modelStream = null;
      decline(ctx, taskRound, DeclineReason.DECLINE_REASON_POLICY, "invalid global model stream: " + e.getMessage());
    }
  }

  private void train(ChannelHandlerContext ctx, long round, RoundTask roundTask, float[] global) {
    CompletableFuture.supplyAsync(() -> trainer.train(roundTask.getModel(), roundTask.getTraining(), global), trainingThread)
        .whenComplete((outcome, failure) -> ctx.executor().execute(() -> {
          if (round != taskRound || !ctx.channel().isActive()) {
            return; // superseded by a newer task or the connection is gone
          }
          if (failure != null) {
            log.warn("{}: local training for round {} failed", agent.siteId(), round, failure);
            decline(ctx, round, DeclineReason.DECLINE_REASON_POLICY, "local training failed");
          } else if (outcome.newParameters().length != global.length || outcome.exampleCount() < 1) {
            decline(ctx, round, DeclineReason.DECLINE_REASON_POLICY, "trainer returned an unusable model");
          } else if (secure != null && secure.round() == round) {
            secure.trained(update(outcome, global), outcome.exampleCount(), outcome.metrics());
          } else {
            sendUpdate(ctx, round, outcome, global);
          }
        }));
  }

  private void sendUpdate(ChannelHandlerContext ctx, long round, LocalTrainer.Outcome outcome, float[] global) {
    float[] update = update(outcome, global);
    ctx.write(Envelopes.stamped(federationId, round).setUpdateHeader(UpdateHeader.newBuilder()
        .setExampleCount(outcome.exampleCount())
        .setTotalElements(update.length)
        .setMetrics(outcome.metrics())).build());
    ctx.writeAndFlush(new TensorChunkInput(update, chunkElements, federationId, round, Stream.STREAM_UPDATE))
        .addListener(f -> {
          if (f.isSuccess()) {
            agent.updateSent();
          }
        });
  }

  /** new − old parameters, computed in place in the trainer's fresh output array. */
  private static float[] update(LocalTrainer.Outcome outcome, float[] global) {
    float[] update = outcome.newParameters();
    for (int i = 0; i < update.length; i++) {
      update[i] -= global[i];
    }
    return update;
  }

  private void decline(ChannelHandlerContext ctx, long round, DeclineReason reason, String detail) {
    log.info("{}: declining round {}: {}", agent.siteId(), round, detail);
    ctx.writeAndFlush(Envelopes.stamped(federationId == null ? "" : federationId, round)
        .setTaskDeclined(TaskDeclined.newBuilder().setReason(reason).setDetail(detail)).build());
  }
}
