package org.cohort.coordinator;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.aggregate.UpdateAggregator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.privacy.FederationPrivacy;
import org.cohort.coordinator.strategy.RoundConfig;
import org.cohort.coordinator.strategy.ServerStrategy;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.privacy.distributed.DistributedNoisePlan;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.EncodedTensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation: who is connected, the global model, the server strategy, and the current {@link
 * Round}, which it drives by carrying out the {@link Transition}s the round returns. All of it runs
 * on one thread (the round thread), off the event loops: connections post events through the
 * package methods below, which hop onto that thread. Folding updates and writing checkpoints happen
 * there too, so they never block network IO.
 *
 * <p>A round always ends by its {@link Round#hardDeadline()}: a timer armed when the round starts
 * abandons it in whatever phase it is, and any failure on the round thread (an exception, or an
 * error such as running out of heap) abandons the current round and starts the next one instead of
 * vanishing inside the executor.
 */
final class Federation {

  private static final Logger log = LoggerFactory.getLogger(Federation.class);
  private static final long GOODBYE_SECONDS = 5;
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

  private final CoordinatorConfig config;
  private final ModelLayout layout;
  private final ServerStrategy strategy;
  private final Supplier<UpdateAggregator> aggregators;
  private final ScheduledExecutorService roundThread;
  private final CoordinatorMessages messages;
  private final UploadStaging<float[]> updateStaging;
  private final UploadStaging<int[]> maskedStaging;
  private final X509Certificate caCertificate;

  /**
   * The newest list: the watch replaces it, each secure round checks signing certificates with it.
   */
  private Optional<X509CRL> revocationList;

  private final SecureRandom random = new SecureRandom();
  private final CheckpointStore checkpoints;
  private final CoordinatorMetrics metrics;
  private final Clock clock;
  private final List<RoundListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Long> finished = new CompletableFuture<>();
  private final Map<String, SiteChannel> connected = new LinkedHashMap<>();
  private float[] global;
  private long lastRound;
  private long completedRounds;
  private Round current;
  private ScheduledFuture<?> phaseTimer;
  private ScheduledFuture<?> hardTimer;
  private CrossSiteEvaluation evaluation;

  /** The last round and the evaluation are done: only goodbyes remain. */
  private boolean finishing;

  /** Rounds abandoned in a row: the next one waits 2^(n−1) s, at most a minute. */
  private int abandonedInARow;

  private volatile GlobalModel snapshot;

  /** Empty when rounds run without differential privacy. */
  private final Optional<FederationPrivacy> privacy;

  /** The current round's privacy settings; empty without differential privacy. */
  private Optional<RoundPrivacy> currentPrivacy = Optional.empty();

  Federation(
      CoordinatorConfig config,
      ServerStrategy strategy,
      Supplier<UpdateAggregator> aggregators,
      ScheduledExecutorService roundThread,
      CoordinatorMetrics metrics,
      Clock clock) {
    this.config = config;
    this.layout = config.layout();
    this.strategy = strategy;
    this.aggregators = aggregators;
    this.roundThread = roundThread;
    this.metrics = metrics;
    this.clock = clock;
    this.messages = new CoordinatorMessages(config.federationId(), config.model().spec(), layout);
    boolean secure = config.secureAggregationEnabled();
    this.updateStaging =
        secure
            ? null
            : UploadStaging.updates(
                config.stagingBuffers(), layout.totalElements(), this::onRoundThread);
    this.maskedStaging =
        secure
            ? UploadStaging.maskedInputs(
                config.stagingBuffers(),
                maskedLength(config, layout.totalElements()),
                this::onRoundThread)
            : null;
    this.caCertificate = secure ? Pem.readCertificate(config.kit().caCertificate()) : null;
    Path crl = config.kit().revocationList();
    this.revocationList =
        secure && crl != null && Files.isRegularFile(crl)
            ? Optional.of(Pem.readCrl(crl))
            : Optional.empty();
    if (secure) {
      log.info(
          "secure aggregation on: graph {}, clip {}, {} bits, max weight {}",
          config.secureAggregationSettings().graph(),
          config.secureAggregationSettings().clip(),
          config.secureAggregationSettings().bits(),
          config.secureAggregationSettings().maxWeight());
    } else {
      log.warn(
          "secure aggregation is OFF (secure_aggregation.enabled: false): the coordinator sees every site's update");
    }
    this.privacy = FederationPrivacy.of(config);
    privacy.ifPresentOrElse(
        p ->
            log.info(
                "differential privacy {} per {}: clip {}, noise multiplier {}, sampling"
                    + " rate {}, expected batch {}; after {} rounds every site's records have spent"
                    + " epsilon {} at delta {}",
                p.planned().mode(),
                p.planned().unit() == RoundPrivacy.Unit.SITE ? "site" : "patient record",
                p.planned().clipNorm(),
                p.planned().noiseMultiplier(),
                p.planned().samplingRate(),
                p.planned().expectedBatchSize(),
                config.rounds().count(),
                p.spentAfter(config.rounds().count()).epsilon(),
                p.delta()),
        () ->
            log.warn(
                "differential privacy is OFF (no privacy section): the released models carry no"
                    + " formal guarantee"));
    this.checkpoints = new CheckpointStore(config.checkpoint().directory());
    var restored = checkpoints.load(layout.totalElements());
    if (restored.isPresent()) {
      CheckpointStore.Checkpoint checkpoint = restored.get();
      restoreStrategy(checkpoint);
      global = checkpoint.model();
      lastRound = checkpoint.lastRound();
      completedRounds = checkpoint.completedRounds();
      log.info(
          "resuming from checkpoint after round {} ({} rounds completed)",
          lastRound,
          completedRounds);
    } else {
      global = layout.initialParameters(config.model().seed());
    }
    publishSnapshot();
    if (completedRounds >= config.rounds().count()) {
      finished.complete(completedRounds);
    }
  }

  /** A checkpoint continues only with the strategy that wrote it, whose state it then restores. */
  private void restoreStrategy(CheckpointStore.Checkpoint checkpoint) {
    if (!checkpoint.strategy().equals(strategy.name())) {
      throw new IllegalStateException(
          "checkpoint "
              + checkpoints.file()
              + " was written by strategy "
              + checkpoint.strategy()
              + " but the configured strategy is "
              + strategy.name()
              + "; restore it with the same strategy or start from an empty checkpoint directory");
    }
    if (checkpoint.strategyState().length > 0) {
      strategy.restore(checkpoint.strategyState());
    }
  }

  CoordinatorMessages messages() {
    return messages;
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

  void join(SiteChannel channel) {
    onRoundThread(() -> onJoin(channel));
  }

  void leave(SiteChannel channel) {
    onRoundThread(() -> onLeave(channel));
  }

  /** An UpdateHeader (plain) or MaskedInputHeader (secure) announcing an upload. */
  void requestUpload(SiteChannel channel, Envelope header) {
    onRoundThread(() -> onUploadRequest(channel, header));
  }

  /** A key advert, share bundle or unmask response. */
  void secureAggregationMessage(SiteChannel channel, Envelope envelope) {
    onRoundThread(() -> onSecureAggregationMessage(channel, envelope));
  }

  /**
   * {@code channel}'s certificate has been revoked (its connection is closing): the current round,
   * if the site takes part in it, is abandoned with nothing applied, whatever the site has already
   * sent — its upload or masked input may be summed already and cannot be taken out.
   */
  void revoked(SiteChannel channel) {
    onRoundThread(() -> onRevoked(channel.siteId()));
  }

  /** Later secure rounds check relayed signing certificates against {@code list}. */
  void revocationListChanged(X509CRL list) {
    onRoundThread(() -> revocationList = Optional.of(list));
  }

  void declined(SiteChannel channel, long round) {
    onRoundThread(() -> onDeclined(channel, round));
  }

  void evaluationResult(SiteChannel channel, Envelope envelope) {
    onRoundThread(() -> onEvaluationResult(channel, envelope));
  }

  // ---- the round thread ----

  private void onRoundThread(Runnable task) {
    roundThread.execute(() -> guarded(task));
  }

  private void onRoundThreadAt(Instant when, Runnable task, Consumer<ScheduledFuture<?>> armed) {
    long delay = Math.max(0, Duration.between(clock.instant(), when).toMillis());
    armed.accept(roundThread.schedule(() -> guarded(task), delay, TimeUnit.MILLISECONDS));
  }

  /**
   * Runs a round-thread task. Whatever it throws — including an Error such as OutOfMemoryError —
   * ends the current round (abandoned, nothing applied) so no round can be left waiting for a step
   * that died; a task failure must never vanish inside the executor.
   */
  private void guarded(Runnable task) {
    try {
      task.run();
    } catch (Throwable failure) {
      log.error("round thread task failed", failure);
      Round round = current;
      if (round != null) {
        try {
          end(
              round,
              round.abandon("the coordinator failed (" + failure.getClass().getSimpleName() + ")"));
        } catch (Throwable again) {
          log.error("could not end round {} after a failure", round.number(), again);
          current = null;
          cancelTimers();
        }
      }
      if (evaluation != null) {
        finishEvaluation();
      } else if (current == null && !finishing) {
        // The failure may have hit the start of a round (e.g. allocating its aggregator): try again
        // shortly.
        onRoundThreadAt(clock.instant().plus(RETRY_AFTER_FAILURE), this::nextStep, timer -> {});
      }
    }
  }

  private void onJoin(SiteChannel channel) {
    String site = channel.siteId();
    SiteChannel previous = connected.put(site, channel);
    if (previous != null) {
      // A reconnecting site may leave a half-open connection behind; the newest one wins.
      log.info("site {} reconnected; closing its previous connection", site);
      previous.close(messages.goodbye("replaced by a newer connection", false));
      siteLeft(site, Round.Departure.DROPPED);
    }
    metrics.connectedSites(connected.size());
    log.info("site {} connected ({} connected)", site, connected.size());
    if (finishing || finished.isDone()) {
      channel.close(messages.goodbye("federation finished", true));
      return;
    }
    maybeStartRound();
  }

  private void onLeave(SiteChannel channel) {
    String site = channel.siteId();
    if (connected.get(site) != channel) {
      return;
    }
    connected.remove(site);
    metrics.connectedSites(connected.size());
    log.info("site {} disconnected ({} connected)", site, connected.size());
    siteLeft(site, Round.Departure.DROPPED);
  }

  private void onRevoked(String site) {
    Round round = current;
    if (round != null && !round.isOver() && round.participants().contains(site)) {
      log.warn("site {} was revoked during round {}: abandoning the round", site, round.number());
      end(round, round.abandon("participant " + site + " was revoked"));
    }
  }

  private void siteLeft(String site, Round.Departure departure) {
    if (current != null) {
      carryOut(current, current.leave(site, departure));
    }
    if (evaluation != null && evaluation.leave(site)) {
      finishEvaluation();
    }
  }

  private void onUploadRequest(SiteChannel channel, Envelope envelope) {
    long number = envelope.getRound();
    String site = channel.siteId();
    Round round = current;
    ErrorCode refusal;
    if (connected.get(site) != channel) {
      refusal = ErrorCode.ERROR_CODE_NOT_PARTICIPANT;
    } else if (round == null || round.number() != number) {
      refusal = ErrorCode.ERROR_CODE_WRONG_ROUND;
    } else if (envelope.hasUpdateHeader()) {
      refusal = round.admitUpload(site, envelope.getUpdateHeader(), layout.totalElements());
    } else {
      refusal = round.admitMaskedInput(site, envelope.getMaskedInputHeader());
    }
    if (refusal != null) {
      metrics.rejected(refusal);
      channel.refuseUpload(number, refusal, describe(refusal, number));
      if (refusal == ErrorCode.ERROR_CODE_INVALID_UPDATE) {
        carryOut(round, round.leave(site, Round.Departure.REJECTED));
      }
      return;
    }
    if (envelope.hasUpdateHeader()) {
      UpdateHeader header = envelope.getUpdateHeader();
      updateStaging.stage(
          channel,
          number,
          new Upload<>(channel, round) {
            @Override
            public void completed(float[] update) {
              carryOut(round, round.contribute(site, header, update));
            }
          });
    } else {
      MaskedInputHeader header = envelope.getMaskedInputHeader();
      maskedStaging.stage(
          channel,
          number,
          new Upload<>(channel, round) {
            @Override
            public void completed(int[] values) {
              carryOut(round, round.contributeMasked(site, header, values));
            }
          });
    }
  }

  /**
   * An upload into a staging buffer, wanted while its round is current and its connection the
   * site's newest.
   */
  private abstract class Upload<B> implements UploadStaging.Target<B> {
    private final SiteChannel channel;
    private final Round round;

    Upload(SiteChannel channel, Round round) {
      this.channel = channel;
      this.round = round;
    }

    @Override
    public boolean wanted() {
      return current == round && connected.get(channel.siteId()) == channel;
    }

    @Override
    public void failed() {
      if (wanted()) {
        carryOut(round, round.leave(channel.siteId(), Round.Departure.REJECTED));
      }
    }
  }

  private void onSecureAggregationMessage(SiteChannel channel, Envelope envelope) {
    long number = envelope.getRound();
    String site = channel.siteId();
    Round round = current;
    Transition transition;
    try {
      if (connected.get(site) != channel) {
        throw new Round.Refusal(ErrorCode.ERROR_CODE_NOT_PARTICIPANT, "connection was replaced");
      }
      if (round == null || round.number() != number) {
        throw new Round.Refusal(
            ErrorCode.ERROR_CODE_WRONG_ROUND, "round " + number + " is not open");
      }
      try {
        transition =
            switch (envelope.getBodyCase()) {
              case KEY_ADVERT ->
                  round.acceptAdvert(
                      site,
                      KeyAdvert.decode(envelope.getKeyAdvert().getAdvert().toByteArray()),
                      envelope.getKeyAdvert().getSigningCertificate().toByteArray());
              case SHARE_BUNDLE ->
                  round.acceptShares(
                      site,
                      ShareBundle.decode(envelope.getShareBundle().getCanonical().toByteArray()));
              case SURVIVOR_SIGNATURE ->
                  round.acceptSurvivorSignature(
                      site,
                      SurvivorSignature.decode(
                          envelope.getSurvivorSignature().getCanonical().toByteArray()));
              case UNMASK_RESPONSE ->
                  round.acceptUnmaskResponse(
                      site,
                      UnmaskResponse.decode(
                          envelope.getUnmaskResponse().getCanonical().toByteArray()));
              default ->
                  throw new IllegalArgumentException(
                      "not a secure-aggregation message: " + envelope.getBodyCase());
            };
      } catch (SecAggException.MalformedMessage e) {
        throw new Round.Refusal(ErrorCode.ERROR_CODE_MALFORMED, e.getMessage());
      }
    } catch (Round.Refusal refusal) {
      metrics.rejected(refusal.code);
      log.info(
          "round {}: refused {} from {}: {} ({})",
          number,
          envelope.getBodyCase(),
          site,
          refusal.code,
          refusal.getMessage());
      channel.send(messages.error(number, refusal.code, refusal.getMessage()));
      return;
    }
    carryOut(round, transition);
  }

  private void onDeclined(SiteChannel channel, long number) {
    if (connected.get(channel.siteId()) != channel) {
      return;
    }
    if (current != null && current.number() == number) {
      log.info("round {}: site {} declined", number, channel.siteId());
      carryOut(current, current.leave(channel.siteId(), Round.Departure.DECLINED));
    } else if (evaluation != null
        && evaluation.round() == number
        && evaluation.leave(channel.siteId())) {
      finishEvaluation();
    }
  }

  /**
   * After a round ends (or a failure): the next round, or the final evaluation once all rounds are
   * done.
   */
  private void nextStep() {
    if (completedRounds >= config.rounds().count()) {
      startEvaluation();
    } else {
      maybeStartRound();
    }
  }

  private void maybeStartRound() {
    if (finishing
        || finished.isDone()
        || current != null
        || evaluation != null
        || completedRounds >= config.rounds().count()) {
      return;
    }
    int min = config.sites().minPerRound();
    boolean secure = config.secureAggregationEnabled();
    // Secure aggregation needs 3 participants: with 2, each could subtract its own update from the
    // sum.
    int needed = secure ? Math.max(min, 3) : min;
    if (connected.size() < needed) {
      log.info("waiting for sites: {} of {} connected", connected.size(), needed);
      return;
    }
    long number = lastRound + 1;
    RoundConfig plan =
        strategy.configureRound(
            number, List.copyOf(connected.keySet()), config.training().settings());
    List<String> participants =
        plan.participants().stream().filter(connected::containsKey).distinct().toList();
    if (participants.size() < needed) {
      log.info(
          "strategy {} chose {} of the {} participants a round needs",
          strategy.name(),
          participants.size(),
          needed);
      return;
    }
    Optional<RoundPrivacy> roundPrivacy;
    try {
      roundPrivacy =
          privacy.map(
              p ->
                  p.forRound(
                      participants.size(),
                      secure
                          ? config.secureAggregationSettings().plan(participants.size()).threshold()
                          : 0));
    } catch (IllegalArgumentException e) {
      log.error("round {} cannot carry its differential privacy: {}", number, e.getMessage());
      return;
    }
    lastRound = number;
    Duration deadline = config.rounds().deadline();
    Round round;
    RoundSetup setup = null;
    if (secure) {
      List<ParticipantId> ids = participants.stream().map(ParticipantId::of).toList();
      byte[] graphSeed = new byte[32];
      random.nextBytes(graphSeed);
      CoordinatorConfig.SecureAggregation settings = config.secureAggregationSettings();
      Optional<DistributedNoisePlan> integerEncoding =
          roundPrivacy
              .filter(p -> p.mode() == RoundPrivacy.Mode.DISTRIBUTED)
              .map(RoundPrivacy::plan);
      setup =
          new RoundSetup(
              config.federationId(),
              number,
              ids,
              graphSeed,
              secureParameters(ids.size(), roundPrivacy, integerEncoding));
      byte[] rotationSeed =
          integerEncoding.isPresent() ? roundPrivacy.get().distributed().rotationSeed() : null;
      round =
          Round.secure(
              new SecureSum(
                  setup,
                  caCertificate,
                  revocationList,
                  integerEncoding
                      .<Function<int[], float[]>>map(
                          encoding -> residues -> encoding.decode(residues, rotationSeed))
                      .orElse(null)),
              min,
              clock,
              deadline,
              settings.phaseDeadline());
    } else {
      round = Round.plain(number, participants, min, aggregators.get(), clock, deadline);
    }
    current = round;
    currentPrivacy = roundPrivacy;
    armPhaseTimer(round, round.phase(), round.deadline());
    onRoundThreadAt(
        round.hardDeadline(),
        () -> {
          if (current != round) {
            return;
          }
          // The phase deadline may fall on this same instant: the phase closes first, so a round
          // with enough contributions is aggregated rather than abandoned.
          Transition closed = round.expire(round.phase());
          if (closed instanceof Transition.Aggregated || closed instanceof Transition.Abandoned) {
            carryOut(round, closed);
          } else {
            end(round, round.abandon("the round reached its deadline in phase " + round.phase()));
          }
        },
        timer -> hardTimer = timer);
    Envelope task =
        messages.task(
            number,
            clock.instant().plus(deadline).toEpochMilli(),
            plan,
            setup,
            roundPrivacy.map(p -> privacy.get().settings(p)));
    try (EncodedTensor model = encodedGlobalModel(number)) {
      for (String site : participants) {
        connected.get(site).sendWithModel(task, model);
      }
    }
    log.info(
        "round {} started with {}{}",
        number,
        participants,
        secure ? " (secure aggregation, " + setup.parameters().graph() + ")" : "");
    notifyListeners(listener -> listener.roundStarted(number, participants));
  }

  /**
   * The length of every masked input of this federation's secure rounds: the padded integer
   * encoding and its weight in a distributed-DP round, else the fixed-point update, its weight and
   * (without privacy) the metric slots. Neither depends on the round's number of sites.
   */
  private static int maskedLength(CoordinatorConfig config, int modelElements) {
    if (config.privacyEnabled() && "distributed".equals(config.privacy().mode())) {
      return RandomizedHadamard.paddedDimension(modelElements) + 1;
    }
    SecAggParameters fixedPoint =
        config
            .secureAggregationSettings()
            .parameters(config.sites().allowed().size(), modelElements);
    return (config.privacyEnabled() ? fixedPoint.withCountSlots(0) : fixedPoint).maskedLength();
  }

  /**
   * A secure round's parameters: the distributed-DP integer encoding's, or fixed point (without
   * metric slots when the round is private, since metrics would leave the sites un-noised).
   */
  private SecAggParameters secureParameters(
      int sites,
      Optional<RoundPrivacy> roundPrivacy,
      Optional<DistributedNoisePlan> integerEncoding) {
    CoordinatorConfig.SecureAggregation settings = config.secureAggregationSettings();
    if (integerEncoding.isPresent()) {
      return SecAggParameters.integer(
          sites,
          integerEncoding.get().paddedDimension(),
          settings.plan(sites),
          integerEncoding.get().bits());
    }
    SecAggParameters fixedPoint = settings.parameters(sites, layout.totalElements());
    return roundPrivacy.isPresent() ? fixedPoint.withCountSlots(0) : fixedPoint;
  }

  private void armPhaseTimer(Round round, RoundPhase phase, Instant deadline) {
    if (phaseTimer != null) {
      phaseTimer.cancel(false);
    }
    onRoundThreadAt(
        deadline,
        () -> {
          if (current == round) {
            carryOut(round, round.expire(phase));
          }
        },
        timer -> phaseTimer = timer);
  }

  /** Does what {@code transition} says; the round's own logic already happened. */
  private void carryOut(Round round, Transition transition) {
    if (current != round) {
      return;
    }
    if (transition instanceof Transition.NextPhase next) {
      for (Transition.Outbound outbound : next.messages()) {
        SiteChannel channel = connected.get(outbound.site());
        if (channel != null) {
          channel.send(messages.phaseMessage(round.number(), outbound.message()));
        }
      }
      if (next.phase() == RoundPhase.CONFIRMING) {
        revokeUploads();
      }
      armPhaseTimer(round, next.phase(), next.deadline());
      log.info("round {}: {} with {}", round.number(), next.phase(), round.active());
      // Everyone expected may have answered already (or left): settle the new phase at once.
      carryOut(round, round.settle());
    } else if (transition instanceof Transition.Aggregated aggregated) {
      end(round, apply(round, aggregated.aggregate()));
    } else if (transition instanceof Transition.Abandoned abandoned) {
      end(round, abandoned);
    }
  }

  /**
   * The strategy turns the aggregate into the next global model, which is checkpointed with the
   * strategy's state before anything changes here. If either step fails the round is abandoned and
   * the strategy's state put back as it was.
   */
  private Transition apply(Round round, AggregateUpdate aggregate) {
    byte[] stateBefore = strategy.state();
    boolean applied = false;
    try {
      AggregateUpdate released =
          currentPrivacy.map(p -> privacy.get().release(p, aggregate)).orElse(aggregate);
      float[] next = strategy.apply(global, released);
      if (!allFinite(next)) {
        return round.abandon("the new model is not finite");
      }
      checkpoints.save(
          new CheckpointStore.Checkpoint(
              round.number(), completedRounds + 1, next, strategy.name(), strategy.state()));
      global = next;
      completedRounds++;
      round.applied();
      publishSnapshot();
      applied = true;
      return Transition.STAY;
    } catch (UncheckedIOException e) {
      log.error("round {}: checkpoint failed, so the round is not applied", round.number(), e);
      return round.abandon("the checkpoint could not be written");
    } finally {
      if (!applied) {
        strategy.restore(stateBefore);
      }
    }
  }

  /**
   * The round is over (applied or abandoned): report it, then start the next round or the final
   * evaluation.
   */
  private void end(Round round, Transition outcome) {
    if (current != round) {
      return;
    }
    if (!round.isOver()) {
      round.abandon(
          outcome instanceof Transition.Abandoned a ? a.reason() : "the round ended early");
    }
    current = null;
    cancelTimers();
    revokeUploads();
    // Queued first, whatever fails below; a task of its own, so this round (its aggregate, its call
    // stack) is garbage before the next one allocates. After abandoned rounds the next one backs
    // off, so a site that makes every round fail cannot make the coordinator spin.
    abandonedInARow = round.phase() == RoundPhase.COMPLETED ? 0 : abandonedInARow + 1;
    onRoundThreadAt(clock.instant().plus(backoff(abandonedInARow)), this::nextStep, timer -> {});
    try {
      RoundSummary summary = round.summary();
      metrics.roundFinished(summary.phase(), summary.duration());
      log.info(summary.progressLine());
      Envelope result = messages.result(summary);
      for (String site : round.participants()) {
        SiteChannel channel = connected.get(site);
        if (channel != null) {
          channel.send(result);
        }
      }
      notifyListeners(listener -> listener.roundFinished(summary));
    } finally {
      round.close();
    }
  }

  static Duration backoff(int abandonedInARow) {
    if (abandonedInARow == 0) {
      return Duration.ZERO;
    }
    return Duration.ofSeconds(
        Math.min(MAX_BACKOFF.toSeconds(), 1L << Math.min(abandonedInARow - 1, 6)));
  }

  /**
   * Uploads are collected in COLLECTING only: whatever is still arriving when it closes is dropped.
   */
  private void revokeUploads() {
    (updateStaging != null ? updateStaging : maskedStaging).revokeAll();
  }

  private void cancelTimers() {
    for (ScheduledFuture<?> timer : new ScheduledFuture<?>[] {phaseTimer, hardTimer}) {
      if (timer != null) {
        timer.cancel(false);
      }
    }
    phaseTimer = null;
    hardTimer = null;
  }

  // ---- cross-site evaluation of the final model ----

  /** Every connected site evaluates the final model on its held-out split; nothing is trained. */
  private void startEvaluation() {
    if (finishing || evaluation != null || current != null) {
      return;
    }
    long number = ++lastRound;
    CrossSiteEvaluation started = new CrossSiteEvaluation(number, connected.keySet());
    evaluation = started;
    if (started.isComplete()) {
      finishEvaluation();
      return;
    }
    Instant deadline = clock.instant().plus(config.rounds().deadline());
    // Armed before anything is sent, so the evaluation ends by its deadline whatever happens.
    onRoundThreadAt(
        deadline,
        () -> {
          if (evaluation == started) {
            finishEvaluation();
          }
        },
        timer -> hardTimer = timer);
    Envelope task = messages.evaluationTask(number, deadline.toEpochMilli());
    try (EncodedTensor model = encodedGlobalModel(number)) {
      for (SiteChannel channel : connected.values()) {
        channel.sendWithModel(task, model);
      }
    }
    log.info("evaluating the final model on {} sites", connected.size());
  }

  private void onEvaluationResult(SiteChannel channel, Envelope envelope) {
    String site = channel.siteId();
    if (evaluation == null
        || evaluation.round() != envelope.getRound()
        || connected.get(site) != channel) {
      metrics.rejected(ErrorCode.ERROR_CODE_WRONG_ROUND);
      channel.send(
          messages.error(
              envelope.getRound(),
              ErrorCode.ERROR_CODE_WRONG_ROUND,
              "no evaluation is open for round " + envelope.getRound()));
      return;
    }
    if (evaluation.record(site, envelope.getEvaluationResult().getMetrics())) {
      finishEvaluation();
    }
  }

  private void finishEvaluation() {
    CrossSiteEvaluation done = evaluation;
    evaluation = null;
    finishing = true;
    cancelTimers();
    EvaluationTable table = done.table();
    log.info("final model evaluated on {} of {} sites", table.sites().size(), done.asked());
    notifyListeners(listener -> listener.evaluationFinished(table));
    log.info("federation finished after {} completed rounds", completedRounds);
    Envelope goodbye = messages.goodbye("federation finished", true);
    CompletableFuture<?>[] closing =
        connected.values().stream()
            .map(channel -> channel.close(goodbye))
            .toArray(CompletableFuture[]::new);
    notifyListeners(listener -> listener.federationFinished(completedRounds));
    // Finished only once every site has its goodbye (or a few seconds passed): whoever waits for
    // the end may stop the process, and a site that misses the goodbye would reconnect forever.
    long rounds = completedRounds;
    CompletableFuture.allOf(closing)
        .completeOnTimeout(null, GOODBYE_SECONDS, TimeUnit.SECONDS)
        .whenComplete((closed, failure) -> finished.complete(rounds));
  }

  /** Listeners are observers: one that throws must not stop the federation. */
  private void notifyListeners(Consumer<RoundListener> event) {
    for (RoundListener listener : listeners) {
      try {
        event.accept(listener);
      } catch (RuntimeException e) {
        log.warn("round listener {} failed", listener.getClass().getName(), e);
      }
    }
  }

  /** The global model as the frames of round {@code number}, encoded once for every site. */
  private EncodedTensor encodedGlobalModel(long number) {
    return EncodedTensor.of(
        global,
        config.transport().chunkElements(),
        config.federationId(),
        number,
        Stream.STREAM_GLOBAL_MODEL);
  }

  private static boolean allFinite(float[] values) {
    for (float value : values) {
      if (!Float.isFinite(value)) {
        return false;
      }
    }
    return true;
  }

  private void publishSnapshot() {
    snapshot = new GlobalModel(lastRound, completedRounds, global);
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
