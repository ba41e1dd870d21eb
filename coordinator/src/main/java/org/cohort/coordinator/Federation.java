package org.cohort.coordinator;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Goodbye;
import org.cohort.protocol.v1.RoundResult;
import org.cohort.protocol.v1.RoundStatus;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.Envelopes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation's rounds: who is connected, the global model, the current {@link Round}.
 * Everything here runs on one thread (the round thread), off the event loops: connections post
 * events with the public-to-package methods below, which hop onto that thread. Folding updates and
 * writing checkpoints happen here too, so they never block network IO.
 */
final class Federation {

  private static final Logger log = LoggerFactory.getLogger(Federation.class);

  private final CoordinatorConfig config;
  private final ModelLayout layout;
  private final ScheduledExecutorService roundThread;
  private final StagingPool staging;
  private final CheckpointStore checkpoints;
  private final CoordinatorMetrics metrics;
  private final Clock clock;
  private final List<RoundListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Long> finished = new CompletableFuture<>();
  private final Map<String, SiteConnection> connected = new LinkedHashMap<>();
  private float[] global;
  private long lastRound;
  private long completedRounds;
  private Round current;
  private ScheduledFuture<?> deadlineTimer;
  private volatile GlobalModel snapshot;

  Federation(CoordinatorConfig config, ScheduledExecutorService roundThread, CoordinatorMetrics metrics, Clock clock) {
    this.config = config;
    this.layout = config.layout();
    this.roundThread = roundThread;
    this.metrics = metrics;
    this.clock = clock;
    this.staging = new StagingPool(config.stagingBuffers(), layout.totalElements());
    this.checkpoints = new CheckpointStore(config.checkpoint().directory());
    var restored = checkpoints.load(layout.totalElements());
    if (restored.isPresent()) {
      global = restored.get().model();
      lastRound = restored.get().lastRound();
      completedRounds = restored.get().completedRounds();
      log.info("resuming from checkpoint after round {} ({} rounds completed)", lastRound, completedRounds);
    } else {
      global = layout.initialParameters(config.model().seed());
    }
    publishSnapshot();
    if (completedRounds >= config.rounds().count()) {
      finished.complete(completedRounds);
    }
  }

  void addListener(RoundListener listener) {
    listeners.add(listener);
  }

  GlobalModel snapshot() {
    GlobalModel s = snapshot;
    return new GlobalModel(s.lastRound(), s.completedRounds(), s.parameters().clone());
  }

  CompletableFuture<Long> finished() {
    return finished;
  }

  // ---- events from connections (any thread) ----

  void join(SiteConnection connection) {
    roundThread.execute(() -> onJoin(connection));
  }

  void leave(SiteConnection connection) {
    roundThread.execute(() -> onLeave(connection));
  }

  void requestUpload(SiteConnection connection, long round, UpdateHeader header) {
    roundThread.execute(() -> onUploadRequest(connection, round, header));
  }

  void uploadComplete(SiteConnection connection, long round, UpdateHeader header, float[] update) {
    roundThread.execute(() -> onUploadComplete(connection, round, header, update));
  }

  /** The upload ended without a usable update (invalid stream or disconnect); the buffer may be null. */
  void uploadFailed(SiteConnection connection, long round, float[] buffer) {
    roundThread.execute(() -> onUploadFailed(connection, round, buffer));
  }

  void declined(SiteConnection connection, long round) {
    roundThread.execute(() -> onDeclined(connection, round));
  }

  void releaseStaging(float[] buffer) {
    staging.release(buffer);
  }

  // ---- round thread ----

  private void onJoin(SiteConnection connection) {
    String site = connection.siteId();
    SiteConnection previous = connected.put(site, connection);
    if (previous != null) {
      // A reconnecting site may leave a half-open connection behind; the newest one wins.
      log.info("site {} reconnected; closing its previous connection", site);
      previous.closeWith(Envelopes.stamped(config.federationId(), 0)
          .setGoodbye(Goodbye.newBuilder().setReason("replaced by a newer connection")).build());
      if (current != null) {
        current.drop(site);
      }
    }
    metrics.connectedSites(connected.size());
    log.info("site {} connected ({} connected)", site, connected.size());
    if (finished.isDone()) {
      connection.closeWith(goodbye("federation finished"));
      return;
    }
    if (previous != null) {
      settle(false);
    }
    maybeStartRound();
  }

  private void onLeave(SiteConnection connection) {
    String site = connection.siteId();
    if (connected.get(site) != connection) {
      return;
    }
    connected.remove(site);
    metrics.connectedSites(connected.size());
    log.info("site {} disconnected ({} connected)", site, connected.size());
    if (current != null) {
      current.drop(site);
      settle(false);
    }
  }

  private void onUploadRequest(SiteConnection connection, long round, UpdateHeader header) {
    ErrorCode refusal;
    if (connected.get(connection.siteId()) != connection) {
      refusal = ErrorCode.ERROR_CODE_NOT_PARTICIPANT;
    } else if (current == null || current.number() != round) {
      refusal = ErrorCode.ERROR_CODE_WRONG_ROUND;
    } else {
      refusal = current.admitUpload(connection.siteId(), header);
    }
    if (refusal != null) {
      metrics.rejected(refusal);
      connection.uploadRefused(round, refusal, describe(refusal, round));
      if (refusal == ErrorCode.ERROR_CODE_INVALID_UPDATE) {
        settle(false);
      }
      return;
    }
    staging.acquire(connection::uploadAdmitted);
  }

  private void onUploadComplete(SiteConnection connection, long round, UpdateHeader header, float[] update) {
    try {
      if (current != null && current.number() == round && connected.get(connection.siteId()) == connection
          && current.contribute(connection.siteId(), header, update)) {
        log.debug("round {}: folded update of {}", round, connection.siteId());
        settle(false);
      }
    } finally {
      staging.release(update);
    }
  }

  private void onUploadFailed(SiteConnection connection, long round, float[] buffer) {
    if (buffer != null) {
      staging.release(buffer);
    }
    if (current != null && current.number() == round && connected.get(connection.siteId()) == connection) {
      current.reject(connection.siteId());
      settle(false);
    }
  }

  private void onDeclined(SiteConnection connection, long round) {
    if (current != null && current.number() == round && connected.get(connection.siteId()) == connection) {
      log.info("round {}: site {} declined", round, connection.siteId());
      current.decline(connection.siteId());
      settle(false);
    }
  }

  private void maybeStartRound() {
    if (finished.isDone() || current != null) {
      return;
    }
    int min = config.sites().minPerRound();
    if (connected.size() < min) {
      log.info("waiting for sites: {} of {} connected", connected.size(), min);
      return;
    }
    Instant now = clock.instant();
    Round round = new Round(++lastRound, connected.keySet(), min, global, now);
    current = round;
    Envelope task = Envelopes.stamped(config.federationId(), round.number())
        .setRoundTask(RoundTask.newBuilder()
            .setDeadlineUnixMs(now.plus(config.rounds().deadline()).toEpochMilli())
            .setModel(config.model().spec())
            .addAllLayout(layout.tensors())
            .setTotalElements(global.length)
            .setTraining(config.training().settings()))
        .build();
    for (SiteConnection connection : connected.values()) {
      connection.sendTask(task, global);
    }
    deadlineTimer = roundThread.schedule(() -> {
      if (current == round) {
        settle(true);
      }
    }, config.rounds().deadline().toMillis(), TimeUnit.MILLISECONDS);
    log.info("round {} started with {}", round.number(), round.participants());
    for (RoundListener listener : listeners) {
      listener.roundStarted(round.number(), round.participants());
    }
  }

  private void settle(boolean deadlinePassed) {
    if (current == null) {
      return;
    }
    Round round = current;
    switch (round.settle(deadlinePassed)) {
      case WAIT -> {
        return;
      }
      case COMPLETE -> {
        float[] next = round.newGlobal();
        try {
          checkpoints.save(new CheckpointStore.Checkpoint(round.number(), completedRounds + 1, next));
          global = next;
          completedRounds++;
          publishSnapshot();
        } catch (UncheckedIOException e) {
          log.error("round {}: checkpoint failed, so the round is not applied", round.number(), e);
          round.abandon("the checkpoint could not be written");
        }
      }
      case ABANDON -> { }
    }
    current = null;
    deadlineTimer.cancel(false);
    RoundSummary summary = round.summary(clock.instant());
    metrics.roundFinished(summary.phase(), summary.duration());
    log.info(summary.progressLine());
    Envelope result = Envelopes.stamped(config.federationId(), round.number())
        .setRoundResult(RoundResult.newBuilder()
            .setStatus(summary.phase() == RoundPhase.COMPLETED ? RoundStatus.ROUND_STATUS_COMPLETED
                : RoundStatus.ROUND_STATUS_ABANDONED)
            .setContributions(summary.contributions())
            .setTotalExamples(summary.totalExamples())
            .setReason(summary.abandonReason()))
        .build();
    for (String site : round.participants()) {
      SiteConnection connection = connected.get(site);
      if (connection != null) {
        connection.send(result);
      }
    }
    for (RoundListener listener : listeners) {
      listener.roundFinished(summary);
    }
    if (completedRounds >= config.rounds().count()) {
      log.info("federation finished after {} completed rounds", completedRounds);
      for (SiteConnection connection : connected.values()) {
        connection.closeWith(goodbye("federation finished"));
      }
      for (RoundListener listener : listeners) {
        listener.federationFinished(completedRounds);
      }
      finished.complete(completedRounds);
    } else {
      maybeStartRound();
    }
  }

  private void publishSnapshot() {
    snapshot = new GlobalModel(lastRound, completedRounds, global);
  }

  private Envelope goodbye(String reason) {
    return Envelopes.stamped(config.federationId(), 0).setGoodbye(Goodbye.newBuilder().setReason(reason).setFederationFinished(true)).build();
  }

  private static String describe(ErrorCode code, long round) {
    return switch (code) {
      case ERROR_CODE_WRONG_ROUND -> "round " + round + " is not open";
      case ERROR_CODE_NOT_PARTICIPANT -> "not a participant of round " + round;
      case ERROR_CODE_DUPLICATE -> "an update for round " + round + " was already received";
      case ERROR_CODE_INVALID_UPDATE -> "update header does not match the model or has no examples";
      default -> code.name();
    };
  }
}
