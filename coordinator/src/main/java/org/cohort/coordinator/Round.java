package org.cohort.coordinator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.aggregate.TooFewUpdatesException;
import org.cohort.coordinator.aggregate.UpdateAggregator;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.UpdateHeader;

/**
 * One round's state machine, and the only place its phases change. Every event method returns the
 * {@link Transition} it caused; the round sends nothing, schedules nothing and applies nothing, so
 * it is tested without sockets or threads (a {@link Clock} supplies time). It holds the one
 * participant ledger and the round's aggregator: a plain {@link UpdateAggregator} or the {@link
 * SecureSum} over the secure-aggregation engine. Confined to the coordinator's round thread.
 *
 * <pre>
 * plain:  COLLECTING ─(all answered | deadline)→ APPLYING
 * secure: ADVERTISING ─(all advertised | phase deadline)→ SHARING       adverts + certificates out
 *         SHARING     ─(all shared | phase deadline)→ COLLECTING        each site's shares out
 *         COLLECTING  ─(all sent input | round deadline)→ CONFIRMING    survivor set U3 out
 *         CONFIRMING  ─(all survivors signed U3 | phase deadline)→ UNMASKING
 *                                                each signer's unmask request + its neighbours' signatures out
 *         UNMASKING   ─(all signers answered | phase deadline)→ APPLYING
 * APPLYING ─(strategy applied, checkpoint written)→ COMPLETED
 * any phase before COMPLETED ─(too few left | hard deadline | failure)→ ABANDONED, nothing applied
 * </pre>
 *
 * No phase deadline lies beyond {@link #hardDeadline()}: the round deadline for a plain round, the
 * round deadline plus three phase deadlines for a secure one (a late COLLECTING, CONFIRMING and
 * UNMASKING). A survivor that does not sign in time is dropped from the exchange (its input stays
 * in the sum and its self-mask is rebuilt from its neighbours' shares), like a late answer in any
 * other secure phase.
 */
final class Round {

  /** A selected participant's progress in this round. */
  enum ParticipantState {
    TASKED,
    ADVERTISED,
    SHARED,
    UPLOADING,
    CONTRIBUTED,
    SIGNED,
    RESPONDED,
    DECLINED,
    REJECTED,
    DROPPED;

    boolean isFinal() {
      return this == DECLINED || this == REJECTED || this == DROPPED;
    }
  }

  /** Why a participant left the round. */
  enum Departure {
    DECLINED(ParticipantState.DECLINED),
    REJECTED(ParticipantState.REJECTED),
    DROPPED(ParticipantState.DROPPED);

    private final ParticipantState state;

    Departure(ParticipantState state) {
      this.state = state;
    }
  }

  /** A secure-aggregation message refused: the typed error to answer with. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final ErrorCode code;

    Refusal(ErrorCode code, String detail) {
      super(detail, null, false, false);
      this.code = code;
    }
  }

  private final long number;
  private final Clock clock;
  private final Instant startedAt;
  private final Instant roundDeadline;
  private final Instant hardDeadline;
  private final Duration phaseDuration;
  private final int minContributions;
  private final Map<String, ParticipantState> participants = new LinkedHashMap<>();
  private final UpdateAggregator plain;
  private final SecureSum secure;
  private final EvaluationMeans evaluation = new EvaluationMeans();
  private RoundPhase phase;
  private Instant phaseDeadline;
  private Map<String, ShareDelivery> shareDeliveries = Map.of();
  private int aggregatedContributions;
  private long aggregatedWeight;
  private String abandonReason = "";

  private Round(
      long number,
      List<String> participants,
      int minContributions,
      UpdateAggregator plain,
      SecureSum secure,
      Clock clock,
      Duration deadline,
      Duration phaseDuration) {
    this.number = number;
    this.clock = clock;
    this.minContributions = minContributions;
    this.plain = plain;
    this.secure = secure;
    this.phaseDuration = phaseDuration;
    this.startedAt = clock.instant();
    this.roundDeadline = startedAt.plus(deadline);
    this.hardDeadline =
        secure == null ? roundDeadline : roundDeadline.plus(phaseDuration.multipliedBy(3));
    this.phase = secure == null ? RoundPhase.COLLECTING : RoundPhase.ADVERTISING;
    this.phaseDeadline = secure == null ? roundDeadline : capped(startedAt.plus(phaseDuration));
    for (String site : participants) {
      this.participants.put(site, ParticipantState.TASKED);
    }
  }

  /** A plain round: updates arrive in the clear and {@code aggregator} folds them. */
  static Round plain(
      long number,
      List<String> participants,
      int minContributions,
      UpdateAggregator aggregator,
      Clock clock,
      Duration deadline) {
    return new Round(
        number, participants, minContributions, aggregator, null, clock, deadline, Duration.ZERO);
  }

  /** A secure round over {@code sum.setup().participants()}; the task carries that setup. */
  static Round secure(
      SecureSum sum, int minContributions, Clock clock, Duration deadline, Duration phaseDuration) {
    List<String> sites = sum.setup().participants().stream().map(ParticipantId::value).toList();
    return new Round(
        sum.setup().round(), sites, minContributions, null, sum, clock, deadline, phaseDuration);
  }

  long number() {
    return number;
  }

  RoundPhase phase() {
    return phase;
  }

  boolean isOver() {
    return phase == RoundPhase.COMPLETED || phase == RoundPhase.ABANDONED;
  }

  /** When the current phase closes even if some participants have not answered. */
  Instant deadline() {
    return phaseDeadline;
  }

  /** When the round ends whatever happens: nothing extends it. */
  Instant hardDeadline() {
    return hardDeadline;
  }

  List<String> participants() {
    return List.copyOf(participants.keySet());
  }

  // ---- plain rounds ----

  /**
   * Null if {@code site} may now upload its update, otherwise why not (the caller rejects on
   * INVALID_UPDATE).
   */
  ErrorCode admitUpload(String site, UpdateHeader header, int modelElements) {
    if (secure != null || phase != RoundPhase.COLLECTING) {
      return ErrorCode.ERROR_CODE_WRONG_ROUND;
    }
    ParticipantState state = participants.get(site);
    if (state == null) {
      return ErrorCode.ERROR_CODE_NOT_PARTICIPANT;
    }
    if (state != ParticipantState.TASKED) {
      return ErrorCode.ERROR_CODE_DUPLICATE;
    }
    if (header.getTotalElements() != modelElements || header.getExampleCount() < 1) {
      return ErrorCode.ERROR_CODE_INVALID_UPDATE;
    }
    participants.put(site, ParticipantState.UPLOADING);
    return null;
  }

  /**
   * A complete plain upload; the aggregator refuses a malformed one (e.g. NaN), which rejects the
   * site.
   */
  Transition contribute(String site, UpdateHeader header, float[] update) {
    if (secure != null
        || phase != RoundPhase.COLLECTING
        || participants.get(site) != ParticipantState.UPLOADING) {
      return Transition.STAY;
    }
    try {
      plain.add(site, update, header.getExampleCount());
    } catch (IllegalArgumentException e) {
      return leave(site, Departure.REJECTED);
    }
    participants.put(site, ParticipantState.CONTRIBUTED);
    evaluation.add(header.getMetrics());
    return settle();
  }

  // ---- secure rounds: each message is checked here and handed to the secure sum ----

  Transition acceptAdvert(String site, KeyAdvert advert, byte[] signingCertificate) throws Refusal {
    requireSecureMessage(
        site,
        advert.participant(),
        advert.federationId(),
        advert.round(),
        RoundPhase.ADVERTISING,
        ParticipantState.TASKED);
    try {
      secure.acceptAdvert(advert, signingCertificate);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.ADVERTISED);
    return settle();
  }

  Transition acceptShares(String site, ShareBundle bundle) throws Refusal {
    requireSecureMessage(
        site,
        bundle.sender(),
        bundle.federationId(),
        bundle.round(),
        RoundPhase.SHARING,
        ParticipantState.ADVERTISED);
    try {
      secure.acceptShares(bundle);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.SHARED);
    return settle();
  }

  /** Null if {@code site} may now stream its masked input, otherwise why not. */
  ErrorCode admitMaskedInput(String site, MaskedInputHeader header) {
    if (secure == null || phase != RoundPhase.COLLECTING) {
      return ErrorCode.ERROR_CODE_WRONG_ROUND;
    }
    ParticipantState state = participants.get(site);
    if (state == null) {
      return ErrorCode.ERROR_CODE_NOT_PARTICIPANT;
    }
    if (state != ParticipantState.SHARED) {
      return state == ParticipantState.UPLOADING || state == ParticipantState.CONTRIBUTED
          ? ErrorCode.ERROR_CODE_DUPLICATE
          : ErrorCode.ERROR_CODE_SECAGG_REFUSED;
    }
    var parameters = secure.setup().parameters();
    if (header.getTotalElements() != parameters.maskedLength()
        || header.getBits() != parameters.bits()) {
      return ErrorCode.ERROR_CODE_INVALID_UPDATE;
    }
    participants.put(site, ParticipantState.UPLOADING);
    return null;
  }

  /**
   * A completely received masked input; one the engine refuses takes its sender out of the round.
   */
  Transition contributeMasked(String site, MaskedInputHeader header, int[] values) {
    if (secure == null
        || phase != RoundPhase.COLLECTING
        || participants.get(site) != ParticipantState.UPLOADING) {
      return Transition.STAY;
    }
    try {
      secure.add(site, header.getBits(), values);
    } catch (SecAggException e) {
      return leave(site, Departure.REJECTED);
    }
    // Its metrics are inside the masked vector: only the federation's sums are ever seen.
    participants.put(site, ParticipantState.CONTRIBUTED);
    return settle();
  }

  Transition acceptSurvivorSignature(String site, SurvivorSignature signature) throws Refusal {
    requireSecureMessage(
        site,
        signature.signer(),
        signature.federationId(),
        signature.round(),
        RoundPhase.CONFIRMING,
        ParticipantState.CONTRIBUTED);
    try {
      secure.acceptSurvivorSignature(signature);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.SIGNED);
    return settle();
  }

  Transition acceptUnmaskResponse(String site, UnmaskResponse response) throws Refusal {
    requireSecureMessage(
        site,
        response.responder(),
        response.federationId(),
        response.round(),
        RoundPhase.UNMASKING,
        ParticipantState.SIGNED);
    try {
      secure.acceptUnmaskResponse(response);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.RESPONDED);
    return settle();
  }

  /**
   * The checks the transport owes the engine: the message names its sender (by TLS identity),
   * belongs to this round, and the sender is where the phase expects it.
   */
  private void requireSecureMessage(
      String site,
      ParticipantId named,
      String federationId,
      long messageRound,
      RoundPhase expectedPhase,
      ParticipantState expectedState)
      throws Refusal {
    if (!named.value().equals(site)) {
      throw new Refusal(
          ErrorCode.ERROR_CODE_IDENTITY_MISMATCH,
          "secure-aggregation message names " + named + " but the certificate names " + site);
    }
    if (secure == null
        || messageRound != number
        || !federationId.equals(secure.setup().federationId())) {
      throw new Refusal(
          ErrorCode.ERROR_CODE_WRONG_ROUND,
          "message is for round " + messageRound + ", not round " + number);
    }
    ParticipantState state = participants.get(site);
    if (state == null || state.isFinal()) {
      throw new Refusal(
          ErrorCode.ERROR_CODE_NOT_PARTICIPANT, site + " is not taking part in round " + number);
    }
    if (phase != expectedPhase || state != expectedState) {
      throw new Refusal(
          ErrorCode.ERROR_CODE_SECAGG_REFUSED,
          "round "
              + number
              + " is "
              + phase
              + " and "
              + site
              + " is "
              + state
              + "; message needs "
              + expectedPhase);
    }
  }

  private static Refusal refusal(SecAggException e) {
    ErrorCode code =
        e instanceof SecAggException.InvalidAdvertSignature
            ? ErrorCode.ERROR_CODE_INVALID_SIGNATURE
            : e instanceof SecAggException.WrongRound
                ? ErrorCode.ERROR_CODE_WRONG_ROUND
                : e instanceof SecAggException.MalformedMessage
                    ? ErrorCode.ERROR_CODE_MALFORMED
                    : ErrorCode.ERROR_CODE_SECAGG_REFUSED;
    return new Refusal(code, e.getMessage());
  }

  // ---- leaving, deadlines, the end ----

  /**
   * The site declined, was rejected or disconnected; whatever it had sent of an upload is discarded
   * by the caller.
   */
  Transition leave(String site, Departure departure) {
    ParticipantState state = participants.get(site);
    if (state == null || state.isFinal() || isOver() || phase == RoundPhase.APPLYING) {
      return Transition.STAY;
    }
    // A plain contribution is in the sum for good, and so is a secure site's unmask answer; a
    // secure contribution without its answer still needs the site.
    if ((secure == null && state == ParticipantState.CONTRIBUTED)
        || state == ParticipantState.RESPONDED) {
      return Transition.STAY;
    }
    participants.put(site, departure.state);
    return settle();
  }

  /**
   * {@code expired}'s deadline passed: close it with whoever answered (a stale timer changes
   * nothing).
   */
  Transition expire(RoundPhase expired) {
    if (expired != phase || isOver() || phase == RoundPhase.APPLYING) {
      return Transition.STAY;
    }
    return advance(true);
  }

  /**
   * Re-evaluates without a new event: a new phase may already be complete (everyone answered or
   * left).
   */
  Transition settle() {
    if (isOver() || phase == RoundPhase.APPLYING) {
      return Transition.STAY;
    }
    return advance(false);
  }

  /**
   * Ends the round without a new model, whatever its phase (hard deadline, apply or checkpoint
   * failure).
   */
  Transition.Abandoned abandon(String reason) {
    if (!isOver()) {
      phase = RoundPhase.ABANDONED;
      abandonReason = reason;
    }
    // A completed round stays completed: its model is applied and checkpointed.
    return new Transition.Abandoned(phase == RoundPhase.ABANDONED ? abandonReason : reason);
  }

  /** The strategy applied the aggregate and the checkpoint is written. */
  void applied() {
    if (phase != RoundPhase.APPLYING) {
      throw new IllegalStateException(
          "round " + number + " is " + phase + ", not " + RoundPhase.APPLYING);
    }
    phase = RoundPhase.COMPLETED;
  }

  private Transition advance(boolean deadlinePassed) {
    return secure == null ? advancePlain(deadlinePassed) : advanceSecure(deadlinePassed);
  }

  private Transition advancePlain(boolean deadlinePassed) {
    int contributed = plain.contributions();
    int outstanding = count(EnumSet.of(ParticipantState.TASKED, ParticipantState.UPLOADING));
    if (contributed + outstanding < minContributions) {
      return abandon(
          "only "
              + (contributed + outstanding)
              + " of the required "
              + minContributions
              + " participants can still contribute");
    }
    if (outstanding > 0 && !deadlinePassed) {
      return Transition.STAY;
    }
    if (contributed < minContributions) {
      return abandon(
          "deadline passed with "
              + contributed
              + " of the required "
              + minContributions
              + " contributions");
    }
    try {
      return aggregated(plain.result());
    } catch (TooFewUpdatesException e) {
      // Krum: the updates that arrived cannot outvote the Byzantine sites it must tolerate.
      return abandon(e.getMessage());
    }
  }

  private Transition advanceSecure(boolean deadlinePassed) {
    int required =
        phase == RoundPhase.CONFIRMING || phase == RoundPhase.UNMASKING
            ? secure.threshold()
            : Math.max(secure.threshold(), minContributions);
    int possible =
        switch (phase) {
          case ADVERTISING, SHARING ->
              count(
                  EnumSet.complementOf(
                      EnumSet.of(
                          ParticipantState.DECLINED,
                          ParticipantState.REJECTED,
                          ParticipantState.DROPPED)));
          case COLLECTING ->
              secure.maskedInputs()
                  + count(EnumSet.of(ParticipantState.SHARED, ParticipantState.UPLOADING));
          case CONFIRMING ->
              count(EnumSet.of(ParticipantState.CONTRIBUTED, ParticipantState.SIGNED));
          default -> count(EnumSet.of(ParticipantState.SIGNED, ParticipantState.RESPONDED));
        };
    if (possible < required) {
      return abandon(
          "only "
              + possible
              + " participants can still take part in "
              + phase
              + ", "
              + required
              + " are required");
    }
    ParticipantState awaited =
        switch (phase) {
          case ADVERTISING -> ParticipantState.TASKED;
          case SHARING -> ParticipantState.ADVERTISED;
          case COLLECTING -> ParticipantState.SHARED;
          case CONFIRMING -> ParticipantState.CONTRIBUTED;
          default -> ParticipantState.SIGNED;
        };
    boolean outstanding =
        participants.containsValue(awaited)
            || (phase == RoundPhase.COLLECTING
                && participants.containsValue(ParticipantState.UPLOADING));
    if (outstanding && !deadlinePassed) {
      return Transition.STAY;
    }
    try {
      return switch (phase) {
        case ADVERTISING -> {
          PhaseMessage.Adverts adverts = secure.closeAdverts();
          dropAll(ParticipantState.TASKED);
          yield enter(RoundPhase.SHARING, clock.instant().plus(phaseDuration), site -> adverts);
        }
        case SHARING -> {
          shareDeliveries = secure.closeShares();
          dropAll(ParticipantState.ADVERTISED);
          Instant late = clock.instant().plus(phaseDuration);
          // Inputs may arrive until the round deadline, but never less than one phase after the
          // shares went out.
          yield enter(
              RoundPhase.COLLECTING,
              roundDeadline.isAfter(late) ? roundDeadline : late,
              site -> new PhaseMessage.Shares(shareDeliveries.get(site)));
        }
        case COLLECTING -> {
          int inputs = secure.maskedInputs();
          if (inputs < minContributions) {
            yield abandon(
                phase
                    + " deadline passed with "
                    + inputs
                    + " of the required "
                    + minContributions
                    + " contributions");
          }
          SurvivorSet survivors = secure.closeInputs();
          shareDeliveries = Map.of();
          dropAll(ParticipantState.SHARED);
          dropAll(ParticipantState.UPLOADING);
          yield enter(
              RoundPhase.CONFIRMING,
              clock.instant().plus(phaseDuration),
              site -> new PhaseMessage.Survivors(survivors));
        }
        case CONFIRMING -> {
          Map<String, UnmaskRequest> requests = secure.closeSignatures();
          dropAll(ParticipantState.CONTRIBUTED);
          yield enter(
              RoundPhase.UNMASKING,
              clock.instant().plus(phaseDuration),
              site -> new PhaseMessage.Unmask(requests.get(site)));
        }
        default -> {
          AggregateUpdate mean = secure.finish();
          evaluation.add(secure.pooledMetrics());
          yield aggregated(mean);
        }
      };
    } catch (SecAggException e) {
      // RoundAbandoned (too few shares) or an engine inconsistency: either way nothing can be
      // unmasked.
      return abandon(e.getMessage());
    }
  }

  private Transition.NextPhase enter(
      RoundPhase next, Instant deadline, Function<String, PhaseMessage> message) {
    phase = next;
    phaseDeadline = capped(deadline);
    List<Transition.Outbound> out = new ArrayList<>();
    for (String site : active()) {
      out.add(new Transition.Outbound(site, message.apply(site)));
    }
    return new Transition.NextPhase(next, phaseDeadline, List.copyOf(out));
  }

  private Transition aggregated(AggregateUpdate result) {
    // Only the counts stay: the model-sized delta is the strategy's to apply, then garbage.
    aggregatedContributions = result.contributions();
    aggregatedWeight = result.totalWeight();
    phase = RoundPhase.APPLYING;
    return new Transition.Aggregated(result);
  }

  private Instant capped(Instant deadline) {
    return deadline.isAfter(hardDeadline) ? hardDeadline : deadline;
  }

  /** Sites still in the round (the ones the current phase's messages go to). */
  List<String> active() {
    return participants.entrySet().stream()
        .filter(e -> !e.getValue().isFinal())
        .map(Map.Entry::getKey)
        .toList();
  }

  private void dropAll(ParticipantState late) {
    participants.replaceAll((site, state) -> state == late ? ParticipantState.DROPPED : state);
  }

  private int count(Set<ParticipantState> states) {
    return (int) participants.values().stream().filter(states::contains).count();
  }

  /**
   * Frees the aggregator's memory and spill files; called once the round is over, however it ended.
   */
  void close() {
    if (plain != null) {
      plain.close();
    }
  }

  RoundSummary summary() {
    boolean aggregated = aggregatedContributions > 0;
    int contributions =
        aggregated
            ? aggregatedContributions
            : secure != null ? secure.maskedInputs() : plain.contributions();
    long totalWeight = aggregated ? aggregatedWeight : secure != null ? 0 : plain.totalWeight();
    return new RoundSummary(
        number,
        phase,
        contributions,
        totalWeight,
        evaluation.loss(),
        evaluation.accuracy(),
        evaluation.auroc(),
        Duration.between(startedAt, clock.instant()),
        abandonReason);
  }

  /**
   * Example-weighted means of what the sites reported for the global model they received: each
   * site's own metrics in a plain round, the pooled ones of a secure round.
   */
  private static final class EvaluationMeans {
    private final WeightedFigure loss = new WeightedFigure();
    private final WeightedFigure accuracy = new WeightedFigure();
    private final WeightedFigure auroc = new WeightedFigure();

    /** Each figure on its own: a site whose held-out split has one class still counts for loss. */
    void add(LocalMetrics m) {
      long examples = m.getEvalExamples();
      loss.add(examples, m.getEvalLoss());
      accuracy.add(examples, m.getEvalAccuracy());
      auroc.add(examples, m.getEvalAuroc());
    }

    double loss() {
      return loss.mean();
    }

    double accuracy() {
      return accuracy.mean();
    }

    double auroc() {
      return auroc.mean();
    }
  }

  /** An example-weighted mean that skips unknown (non-finite) values. */
  private static final class WeightedFigure {
    private double weight;
    private double sum;

    void add(long examples, double value) {
      if (examples > 0 && Double.isFinite(value)) {
        weight += examples;
        sum += examples * value;
      }
    }

    double mean() {
      return weight > 0 ? sum / weight : Double.NaN;
    }
  }
}
