package org.cohort.coordinator;

import com.google.protobuf.ByteString;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
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
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Goodbye;
import org.cohort.protocol.v1.RoundResult;
import org.cohort.protocol.v1.RoundStatus;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.ResidueStreamAssembler;
import org.cohort.protocol.wire.TensorStreamAssembler;
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
  /** Plain path: float updates. Secure path: int masked inputs. Only the configured one exists. */
  private final StagingPool updateStaging;
  private final BufferPool<int[]> maskedStaging;
  private final X509Certificate caCertificate;
  private final Optional<X509CRL> revocationList;
  private final SecureRandom random = new SecureRandom();
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
    boolean secure = config.secureAggregationEnabled();
    this.updateStaging = secure ? null : new StagingPool(config.stagingBuffers(), layout.totalElements());
    this.maskedStaging = secure ? BufferPool.ints(config.stagingBuffers(), layout.totalElements() + 1) : null;
    this.caCertificate = secure ? Pem.readCertificate(config.kit().caCertificate()) : null;
    Path crl = config.kit().revocationList();
    this.revocationList = secure && crl != null && Files.isRegularFile(crl) ? Optional.of(Pem.readCrl(crl)) : Optional.empty();
    if (secure) {
      log.info("secure aggregation on: graph {}, clip {}, {} bits, max weight {}",
          config.secureAggregationSettings().graph(), config.secureAggregationSettings().clip(),
          config.secureAggregationSettings().bits(), config.secureAggregationSettings().maxWeight());
    } else {
      log.warn("secure aggregation is OFF (secure_aggregation.enabled: false): the coordinator sees every site's update");
    }
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
    onRoundThread(() -> onJoin(connection));
  }

  void leave(SiteConnection connection) {
    onRoundThread(() -> onLeave(connection));
  }

  /** An UpdateHeader (plain) or MaskedInputHeader (secure) announcing an upload. */
  void requestUpload(SiteConnection connection, Envelope header) {
    onRoundThread(() -> onUploadRequest(connection, header));
  }

  /** A key advert, share bundle or unmask response. */
  void secureAggregationMessage(SiteConnection connection, Envelope envelope) {
    onRoundThread(() -> onSecureAggregationMessage(connection, envelope));
  }

  void declined(SiteConnection connection, long round) {
    onRoundThread(() -> onDeclined(connection, round));
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

  private void onUploadRequest(SiteConnection connection, Envelope envelope) {
    long round = envelope.getRound();
    ErrorCode refusal;
    if (connected.get(connection.siteId()) != connection) {
      refusal = ErrorCode.ERROR_CODE_NOT_PARTICIPANT;
    } else if (current == null || current.number() != round) {
      refusal = ErrorCode.ERROR_CODE_WRONG_ROUND;
    } else if (envelope.hasUpdateHeader()) {
      refusal = current.admitUpload(connection.siteId(), envelope.getUpdateHeader());
    } else {
      refusal = current.admitMaskedInput(connection.siteId(), envelope.getMaskedInputHeader());
    }
    if (refusal != null) {
      metrics.rejected(refusal);
      connection.uploadRefused(round, refusal, describe(refusal, round));
      if (refusal == ErrorCode.ERROR_CODE_INVALID_UPDATE) {
        settle(false);
      }
      return;
    }
    if (envelope.hasUpdateHeader()) {
      UpdateHeader header = envelope.getUpdateHeader();
      stage(connection, round, updateStaging,
          buffer -> new TensorStreamAssembler(Stream.STREAM_UPDATE, buffer, true)::accept,
          buffer -> current.contribute(connection.siteId(), header, buffer),
          updateStaging::release);
    } else {
      MaskedInputHeader header = envelope.getMaskedInputHeader();
      stage(connection, round, maskedStaging,
          buffer -> new ResidueStreamAssembler(Stream.STREAM_MASKED_INPUT, buffer)::accept,
          buffer -> current.contributeMasked(connection.siteId(), header, buffer),
          buffer -> {
            // A masked input (whole or partial) is wiped before another site's lands in this buffer.
            Arrays.fill(buffer, 0);
            maskedStaging.release(buffer);
          });
    }
  }

  /** Where an upload's chunks land in its staging buffer (an assembler's accept). */
  @FunctionalInterface
  private interface ChunkReceiver {
    boolean accept(TensorChunk chunk) throws InvalidTensorStreamException;
  }

  /**
   * Receives one upload into a staging buffer from {@code pool} on the connection's event loop. A
   * complete upload is summed on the round thread by {@code contribute} (true when the round may
   * settle); complete or not, the buffer is recycled on the round thread, never on an event loop.
   */
  private <B> void stage(SiteConnection connection, long round, BufferPool<B> pool, Function<B, ChunkReceiver> receiver,
      Predicate<B> contribute, Consumer<B> recycle) {
    pool.acquire(buffer -> admitIfCurrent(connection, round, buffer, recycle, new StagedUpload() {
      private final ChunkReceiver chunks = receiver.apply(buffer);

      @Override
      public boolean accept(TensorChunk chunk) throws InvalidTensorStreamException {
        return chunks.accept(chunk);
      }

      @Override
      public void completed() {
        onRoundThread(() -> {
          try {
            if (isCurrent(connection, round) && contribute.test(buffer)) {
              settle(false);
            }
          } finally {
            recycle.accept(buffer);
          }
        });
      }

      @Override
      public void failed() {
        onRoundThread(() -> {
          recycle.accept(buffer);
          uploadFailed(connection, round);
        });
      }
    }));
  }

  /**
   * A buffer may be granted long after it was asked for (on whichever thread released it). By then
   * the round may be over or the site gone: such a grant goes straight back to the pool, so stale
   * uploads never hold buffers that the next round's uploads are waiting for.
   */
  private <B> void admitIfCurrent(SiteConnection connection, long round, B buffer, Consumer<B> release,
      StagedUpload upload) {
    onRoundThread(() -> {
      if (isCurrent(connection, round)) {
        connection.uploadAdmitted(upload);
      } else {
        release.accept(buffer);
        connection.uploadRefused(round, ErrorCode.ERROR_CODE_WRONG_ROUND, "round " + round + " is over");
      }
    });
  }

  /** Runs on the round thread; a failure is logged instead of vanishing inside the executor. */
  private void onRoundThread(Runnable task) {
    roundThread.execute(logged(task));
  }

  private static Runnable logged(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("round thread task failed", e);
      }
    };
  }

  private boolean isCurrent(SiteConnection connection, long round) {
    return current != null && current.number() == round && connected.get(connection.siteId()) == connection;
  }

  private void uploadFailed(SiteConnection connection, long round) {
    if (isCurrent(connection, round)) {
      current.reject(connection.siteId());
      settle(false);
    }
  }

  private void onSecureAggregationMessage(SiteConnection connection, Envelope envelope) {
    long round = envelope.getRound();
    String site = connection.siteId();
    try {
      if (connected.get(site) != connection) {
        throw new Round.Refusal(ErrorCode.ERROR_CODE_NOT_PARTICIPANT, "connection was replaced");
      }
      if (current == null || current.number() != round) {
        throw new Round.Refusal(ErrorCode.ERROR_CODE_WRONG_ROUND, "round " + round + " is not open");
      }
      try {
        switch (envelope.getBodyCase()) {
          case KEY_ADVERT -> current.acceptAdvert(site, KeyAdvert.decode(envelope.getKeyAdvert().getAdvert().toByteArray()),
              envelope.getKeyAdvert().getSigningCertificate().toByteArray(), caCertificate, revocationList);
          case SHARE_BUNDLE -> current.acceptShares(site,
              ShareBundle.decode(envelope.getShareBundle().getCanonical().toByteArray()));
          case UNMASK_RESPONSE -> current.acceptUnmaskResponse(site,
              UnmaskResponse.decode(envelope.getUnmaskResponse().getCanonical().toByteArray()));
          default -> throw new IllegalArgumentException("not a secure-aggregation message: " + envelope.getBodyCase());
        }
      } catch (SecAggException.MalformedMessage e) {
        throw new Round.Refusal(ErrorCode.ERROR_CODE_MALFORMED, e.getMessage());
      }
    } catch (Round.Refusal refusal) {
      metrics.rejected(refusal.code);
      log.info("round {}: refused {} from {}: {} ({})", round, envelope.getBodyCase(), site, refusal.code,
          refusal.getMessage());
      connection.refuse(round, refusal.code, refusal.getMessage());
      return;
    }
    settle(false);
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
    boolean secure = config.secureAggregationEnabled();
    // Secure aggregation needs 3 participants: with 2, each could subtract its own update from the sum.
    int needed = secure ? Math.max(min, 3) : min;
    if (connected.size() < needed) {
      log.info("waiting for sites: {} of {} connected", connected.size(), needed);
      return;
    }
    Instant now = clock.instant();
    long number = ++lastRound;
    RoundTask.Builder task = RoundTask.newBuilder()
        .setDeadlineUnixMs(now.plus(config.rounds().deadline()).toEpochMilli())
        .setModel(config.model().spec())
        .addAllLayout(layout.tensors())
        .setTotalElements(global.length)
        .setTraining(config.training().settings());
    Round round;
    if (secure) {
      List<ParticipantId> participants = connected.keySet().stream().map(ParticipantId::of).toList();
      byte[] graphSeed = new byte[32];
      random.nextBytes(graphSeed);
      CoordinatorConfig.SecureAggregation settings = config.secureAggregationSettings();
      RoundSetup setup = new RoundSetup(config.federationId(), number, participants, graphSeed,
          settings.parameters(participants.size(), global.length));
      round = Round.secure(setup, min, global, now, config.rounds().deadline(), settings.phaseDeadline());
      task.setSecureAggregationSetup(ByteString.copyFrom(setup.encode()));
    } else {
      round = Round.plain(number, connected.keySet(), min, global, now, config.rounds().deadline());
    }
    current = round;
    Envelope envelope = Envelopes.stamped(config.federationId(), number).setRoundTask(task).build();
    for (SiteConnection connection : connected.values()) {
      connection.sendTask(envelope, global);
    }
    scheduleDeadline(round);
    log.info("round {} started with {}{}", number, round.participants(),
        secure ? " (secure aggregation, " + round.setup().parameters().graph() + ")" : "");
    for (RoundListener listener : listeners) {
      listener.roundStarted(number, round.participants());
    }
  }

  /** Settles the round when its current phase's deadline passes (unless it moved on by then). */
  private void scheduleDeadline(Round round) {
    RoundPhase phase = round.phase();
    long delay = Math.max(0, Duration.between(clock.instant(), round.deadline()).toMillis());
    deadlineTimer = roundThread.schedule(logged(() -> {
      if (current == round && round.phase() == phase) {
        settle(true);
      }
    }), delay, TimeUnit.MILLISECONDS);
  }

  /** Sends the messages that open the round's new phase to the sites still in it. */
  private void openPhase(Round round) {
    long number = round.number();
    switch (round.phase()) {
      case SHARING -> {
        Envelope bundle = Envelopes.stamped(config.federationId(), number)
            .setAdvertBundle(org.cohort.protocol.v1.AdvertBundle.newBuilder()
                .setBundle(ByteString.copyFrom(round.advertBundle().encode()))
                .addAllSigningCertificates(round.advertCertificates().stream().map(ByteString::copyFrom).toList()))
            .build();
        sendToActive(round, site -> bundle);
      }
      case COLLECTING -> sendToActive(round, site -> Envelopes.stamped(config.federationId(), number)
          .setShareDelivery(SecAggPayload.newBuilder()
              .setCanonical(ByteString.copyFrom(round.shareDelivery(site).encode())))
          .build());
      case UNMASKING -> {
        Envelope request = Envelopes.stamped(config.federationId(), number)
            .setUnmaskRequest(SecAggPayload.newBuilder()
                .setCanonical(ByteString.copyFrom(round.unmaskRequest().encode())))
            .build();
        sendToActive(round, site -> request);
      }
      default -> throw new IllegalStateException("no messages open phase " + round.phase());
    }
    log.info("round {}: {} with {}", number, round.phase(), round.active());
  }

  private void sendToActive(Round round, Function<String, Envelope> message) {
    for (String site : round.active()) {
      SiteConnection connection = connected.get(site);
      if (connection != null) {
        connection.send(message.apply(site));
      }
    }
  }

  private void settle(boolean deadlinePassed) {
    if (current == null) {
      return;
    }
    Round round = current;
    switch (round.settle(deadlinePassed, clock.instant())) {
      case WAIT -> {
        return;
      }
      case NEXT_PHASE -> {
        deadlineTimer.cancel(false);
        openPhase(round);
        scheduleDeadline(round);
        // Everyone expected may have answered already (or left): settle the new phase at once.
        settle(false);
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
