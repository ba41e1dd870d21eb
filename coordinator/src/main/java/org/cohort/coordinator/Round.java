package org.cohort.coordinator;

import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.AggregateResult;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggServer;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.UpdateHeader;

/**
 * One round's state machine: the phase (see {@link RoundPhase}) with its deadline, each selected
 * participant's state, and the streaming sum of contributions — a double sum of updates (plain
 * FedAvg) or the {@link SecAggServer}'s masked int sum (secure aggregation). Confined to the
 * coordinator's round thread, so it needs no locks; every transition happens in {@link #settle}.
 *
 * <pre>
 * plain:  COLLECTING ─(all answered | deadline)→ COMPLETED
 * secure: ADVERTISING ─(all advertised | phase deadline)→ SHARING     closeAdverts: U1, AdvertBundle out
 *         SHARING     ─(all shared | phase deadline)→ COLLECTING      closeShares: U2, ShareDeliveries out
 *         COLLECTING  ─(all sent input | round deadline)→ UNMASKING   closeInputs: U3, UnmaskRequest out
 *         UNMASKING   ─(all survivors answered | phase deadline)→ COMPLETED   finish: unmasked sum
 * any open phase ─(too few left to reach the minimum / threshold)→ ABANDONED, nothing applied
 * </pre>
 */
final class Round {

  /** A selected participant's progress in this round. */
  enum ParticipantState {
    TASKED, ADVERTISED, SHARED, UPLOADING, CONTRIBUTED, RESPONDED, DECLINED, REJECTED, DROPPED;

    boolean isFinal() {
      return this == DECLINED || this == REJECTED || this == DROPPED;
    }
  }

  /** What {@link #settle} decided. NEXT_PHASE: the caller sends the new phase's messages. */
  enum Decision { WAIT, NEXT_PHASE, COMPLETE, ABANDON }

  /** A secure-aggregation message refused: the typed error to answer with. */
  static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final ErrorCode code;

    Refusal(ErrorCode code, String detail) {
      super(detail, null, false, false);
      this.code = code;
    }
  }

  /** Secure-aggregation state; null for a plain round. */
  private record Secure(RoundSetup setup, SecAggServer server, Map<ParticipantId, PublicKey> verificationKeys,
                        Map<String, byte[]> signingCertificates, Duration phaseDuration) {}

  private final long number;
  private final Instant startedAt;
  private final Instant roundDeadline;
  private final int minContributions;
  private final float[] base;
  private final Map<String, ParticipantState> participants = new LinkedHashMap<>();
  private final WeightedUpdateSum sum;
  private final Secure secure;
  private RoundPhase phase;
  private Instant phaseDeadline;
  private AdvertBundle advertBundle;
  private Map<String, ShareDelivery> shareDeliveries = Map.of();
  private UnmaskRequest unmaskRequest;
  private AggregateResult aggregate;
  private int maskedInputs;
  private String abandonReason = "";
  private double evalWeight;
  private double evalLossSum;
  private double evalAccuracySum;
  private double evalAurocSum;

  private Round(long number, Collection<String> participants, int minContributions, float[] base, Instant startedAt,
                Instant roundDeadline, Secure secure) {
    this.number = number;
    this.minContributions = minContributions;
    this.base = base;
    this.startedAt = startedAt;
    this.roundDeadline = roundDeadline;
    this.secure = secure;
    this.sum = secure == null ? new WeightedUpdateSum(base.length) : null;
    this.phase = secure == null ? RoundPhase.COLLECTING : RoundPhase.ADVERTISING;
    this.phaseDeadline = secure == null ? roundDeadline : startedAt.plus(secure.phaseDuration());
    for (String site : participants) {
      this.participants.put(site, ParticipantState.TASKED);
    }
  }

  /** A plain FedAvg round. */
  static Round plain(long number, Collection<String> participants, int minContributions, float[] base,
                     Instant startedAt, Duration deadline) {
    return new Round(number, participants, minContributions, base, startedAt, startedAt.plus(deadline), null);
  }

  /** A secure round over {@code setup.participants()}; the task carries {@code setup}. */
  static Round secure(RoundSetup setup, int minContributions, float[] base, Instant startedAt, Duration deadline,
                      Duration phaseDuration) {
    Map<ParticipantId, PublicKey> keys = new HashMap<>();
    SecAggServer server = new SecAggServer(setup, SigningCertificates.resolver(keys));
    return new Round(setup.round(), setup.participants().stream().map(ParticipantId::value).toList(),
        minContributions, base, startedAt, startedAt.plus(deadline),
        new Secure(setup, server, keys, new HashMap<>(), phaseDuration));
  }

  long number() {
    return number;
  }

  RoundPhase phase() {
    return phase;
  }

  boolean isSecure() {
    return secure != null;
  }

  /** When the current phase closes even if some participants have not answered. */
  Instant deadline() {
    return phaseDeadline;
  }

  float[] base() {
    return base;
  }

  List<String> participants() {
    return List.copyOf(participants.keySet());
  }

  RoundSetup setup() {
    return secure.setup();
  }

  /** Sites that are still in the round in the current phase (those the phase's messages go to). */
  List<String> active() {
    return participants.entrySet().stream().filter(e -> !e.getValue().isFinal()).map(Map.Entry::getKey).toList();
  }

  // ---- plain FedAvg ----

  /** Null if {@code site} may now upload its update, otherwise why not. */
  ErrorCode admitUpload(String site, UpdateHeader header) {
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
    if (header.getTotalElements() != base.length || header.getExampleCount() < 1) {
      participants.put(site, ParticipantState.REJECTED);
      return ErrorCode.ERROR_CODE_INVALID_UPDATE;
    }
    participants.put(site, ParticipantState.UPLOADING);
    return null;
  }

  /** Folds a complete upload; false (and nothing folded) if the round or the site moved on. */
  boolean contribute(String site, UpdateHeader header, float[] update) {
    if (secure != null || phase != RoundPhase.COLLECTING || participants.get(site) != ParticipantState.UPLOADING) {
      return false;
    }
    sum.add(update, header.getExampleCount());
    participants.put(site, ParticipantState.CONTRIBUTED);
    recordMetrics(header.getMetrics());
    return true;
  }

  private void recordMetrics(LocalMetrics m) {
    if (m.getEvalExamples() > 0 && Double.isFinite(m.getEvalLoss()) && Double.isFinite(m.getEvalAuroc())) {
      evalWeight += m.getEvalExamples();
      evalLossSum += m.getEvalExamples() * m.getEvalLoss();
      evalAccuracySum += m.getEvalExamples() * m.getEvalAccuracy();
      evalAurocSum += m.getEvalExamples() * m.getEvalAuroc();
    }
  }

  // ---- secure aggregation: each message is checked here and handed to the engine ----

  /**
   * Accepts {@code site}'s key advert with its signing certificate (DER), which must be a CA-issued
   * SITE signing certificate naming {@code site}.
   */
  void acceptAdvert(String site, KeyAdvert advert, byte[] signingCertificate, X509Certificate ca,
                    Optional<X509CRL> crl) throws Refusal {
    requireSecureMessage(site, advert.participant(), advert.federationId(), advert.round(), RoundPhase.ADVERTISING,
        ParticipantState.TASKED);
    ParticipantId id = advert.participant();
    try {
      PublicKey key = SigningCertificates.verificationKey(signingCertificate, ca, crl, id);
      secure.verificationKeys().put(id, key);
      secure.server().acceptAdvert(advert);
    } catch (SecAggException e) {
      secure.verificationKeys().remove(id);
      throw refusal(e);
    }
    secure.signingCertificates().put(site, signingCertificate.clone());
    participants.put(site, ParticipantState.ADVERTISED);
  }

  void acceptShares(String site, ShareBundle bundle) throws Refusal {
    requireSecureMessage(site, bundle.sender(), bundle.federationId(), bundle.round(), RoundPhase.SHARING,
        ParticipantState.ADVERTISED);
    try {
      secure.server().acceptShares(bundle);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.SHARED);
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
          ? ErrorCode.ERROR_CODE_DUPLICATE : ErrorCode.ERROR_CODE_SECAGG_REFUSED;
    }
    if (header.getTotalElements() != secure.setup().parameters().maskedLength()
        || header.getBits() != secure.setup().parameters().bits()) {
      participants.put(site, ParticipantState.REJECTED);
      return ErrorCode.ERROR_CODE_INVALID_UPDATE;
    }
    participants.put(site, ParticipantState.UPLOADING);
    return null;
  }

  /** Adds a completely received masked input to the engine's sum; false if the round or site moved on. */
  boolean contributeMasked(String site, MaskedInputHeader header, int[] values) {
    if (secure == null || phase != RoundPhase.COLLECTING || participants.get(site) != ParticipantState.UPLOADING) {
      return false;
    }
    RoundSetup setup = secure.setup();
    try {
      secure.server().acceptMaskedInput(
          new MaskedInput(setup.federationId(), setup.round(), ParticipantId.of(site), (int) header.getBits(), values));
    } catch (SecAggException e) {
      // The engine refused the input (e.g. wrong length or bit width): the site is out of this round.
      participants.put(site, ParticipantState.REJECTED);
      return true;
    }
    participants.put(site, ParticipantState.CONTRIBUTED);
    maskedInputs++;
    recordMetrics(header.getMetrics());
    return true;
  }

  void acceptUnmaskResponse(String site, UnmaskResponse response) throws Refusal {
    requireSecureMessage(site, response.responder(), response.federationId(), response.round(), RoundPhase.UNMASKING,
        ParticipantState.CONTRIBUTED);
    try {
      secure.server().acceptUnmaskResponse(response);
    } catch (SecAggException e) {
      throw refusal(e);
    }
    participants.put(site, ParticipantState.RESPONDED);
  }

  /**
   * The checks the transport owes the engine: the message names its sender (by TLS identity),
   * belongs to this round, and the sender is where the phase expects it.
   */
  private void requireSecureMessage(String site, ParticipantId named, String federationId, long messageRound,
                                    RoundPhase expectedPhase, ParticipantState expectedState) throws Refusal {
    if (!named.value().equals(site)) {
      throw new Refusal(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH,
          "secure-aggregation message names " + named + " but the certificate names " + site);
    }
    if (secure == null || messageRound != number || !federationId.equals(secure.setup().federationId())) {
      throw new Refusal(ErrorCode.ERROR_CODE_WRONG_ROUND, "message is for round " + messageRound + ", not round " + number);
    }
    ParticipantState state = participants.get(site);
    if (state == null || state.isFinal()) {
      throw new Refusal(ErrorCode.ERROR_CODE_NOT_PARTICIPANT, site + " is not taking part in round " + number);
    }
    if (phase != expectedPhase || state != expectedState) {
      throw new Refusal(ErrorCode.ERROR_CODE_SECAGG_REFUSED,
          "round " + number + " is " + phase + " and " + site + " is " + state + "; message needs " + expectedPhase);
    }
  }

  private static Refusal refusal(SecAggException e) {
    ErrorCode code = e instanceof SecAggException.InvalidAdvertSignature ? ErrorCode.ERROR_CODE_INVALID_SIGNATURE
        : e instanceof SecAggException.WrongRound ? ErrorCode.ERROR_CODE_WRONG_ROUND
        : e instanceof SecAggException.MalformedMessage ? ErrorCode.ERROR_CODE_MALFORMED
        : ErrorCode.ERROR_CODE_SECAGG_REFUSED;
    return new Refusal(code, e.getMessage());
  }

  /** The adverts of U1 and, in the same order, their signing certificates (DER). */
  AdvertBundle advertBundle() {
    return advertBundle;
  }

  List<byte[]> advertCertificates() {
    return advertBundle.adverts().stream().map(a -> secure.signingCertificates().get(a.participant().value())).toList();
  }

  /** The shares addressed to {@code site}, or null if it did not share. */
  ShareDelivery shareDelivery(String site) {
    return shareDeliveries.get(site);
  }

  UnmaskRequest unmaskRequest() {
    return unmaskRequest;
  }

  // ---- leaving ----

  void decline(String site) {
    leave(site, ParticipantState.DECLINED);
  }

  void reject(String site) {
    leave(site, ParticipantState.REJECTED);
  }

  /** The site disconnected: whatever it had sent of its update is discarded by the caller. */
  void drop(String site) {
    leave(site, ParticipantState.DROPPED);
  }

  private void leave(String site, ParticipantState to) {
    ParticipantState state = participants.get(site);
    if (state == null || state.isFinal() || phase == RoundPhase.COMPLETED || phase == RoundPhase.ABANDONED) {
      return;
    }
    // A plain contribution is in the sum for good; a secure one still needs the site's unmask answer.
    if (secure == null && state == ParticipantState.CONTRIBUTED) {
      return;
    }
    participants.put(site, to);
  }

  // ---- transitions ----

  /**
   * Moves to the next phase when everyone expected has answered or the phase deadline passed;
   * abandons the round when too few participants are left to reach the minimum (and, for secure
   * rounds, the threshold t), or the engine refuses to go on.
   */
  Decision settle(boolean deadlinePassed, Instant now) {
    if (phase == RoundPhase.COMPLETED || phase == RoundPhase.ABANDONED) {
      return Decision.WAIT;
    }
    if (secure == null) {
      return settlePlain(deadlinePassed);
    }
    int threshold = secure.setup().parameters().graph().threshold();
    int required = phase == RoundPhase.UNMASKING ? threshold : Math.max(threshold, minContributions);
    int possible = switch (phase) {
      case ADVERTISING, SHARING -> count(EnumSet.complementOf(EnumSet.of(ParticipantState.DECLINED,
          ParticipantState.REJECTED, ParticipantState.DROPPED)));
      case COLLECTING -> maskedInputs + count(EnumSet.of(ParticipantState.SHARED, ParticipantState.UPLOADING));
      default -> count(EnumSet.of(ParticipantState.CONTRIBUTED, ParticipantState.RESPONDED));
    };
    if (possible < required) {
      return abandonWith("only " + possible + " participants can still take part in " + phase + ", "
          + required + " are required");
    }
    ParticipantState awaited = switch (phase) {
      case ADVERTISING -> ParticipantState.TASKED;
      case SHARING -> ParticipantState.ADVERTISED;
      case COLLECTING -> ParticipantState.SHARED;
      default -> ParticipantState.CONTRIBUTED;
    };
    boolean outstanding = participants.containsValue(awaited)
        || (phase == RoundPhase.COLLECTING && participants.containsValue(ParticipantState.UPLOADING));
    if (outstanding && !deadlinePassed) {
      return Decision.WAIT;
    }
    try {
      switch (phase) {
        case ADVERTISING -> {
          advertBundle = secure.server().closeAdverts();
          dropAll(ParticipantState.TASKED);
          enter(RoundPhase.SHARING, now.plus(secure.phaseDuration()));
        }
        case SHARING -> {
          Map<String, ShareDelivery> deliveries = new HashMap<>();
          for (ShareDelivery delivery : secure.server().closeShares()) {
            deliveries.put(delivery.recipient().value(), delivery);
          }
          shareDeliveries = deliveries;
          dropAll(ParticipantState.ADVERTISED);
          Instant late = now.plus(secure.phaseDuration());
          enter(RoundPhase.COLLECTING, roundDeadline.isAfter(late) ? roundDeadline : late);
        }
        case COLLECTING -> {
          if (maskedInputs < minContributions) {
            return abandonWith(phase + " deadline passed with " + maskedInputs + " of the required " + minContributions
                + " contributions");
          }
          unmaskRequest = secure.server().closeInputs();
          shareDeliveries = Map.of();
          dropAll(ParticipantState.SHARED);
          dropAll(ParticipantState.UPLOADING);
          enter(RoundPhase.UNMASKING, now.plus(secure.phaseDuration()));
        }
        default -> {
          aggregate = secure.server().finish();
          phase = RoundPhase.COMPLETED;
          return Decision.COMPLETE;
        }
      }
    } catch (SecAggException.RoundAbandoned e) {
      return abandonWith(e.getMessage());
    }
    return Decision.NEXT_PHASE;
  }

  private Decision settlePlain(boolean deadlinePassed) {
    int contributed = sum.contributions();
    long outstanding = count(EnumSet.of(ParticipantState.TASKED, ParticipantState.UPLOADING));
    if (contributed + outstanding < minContributions) {
      return abandonWith("only " + (contributed + outstanding) + " of the required " + minContributions
          + " participants can still contribute");
    }
    if (outstanding > 0 && !deadlinePassed) {
      return Decision.WAIT;
    }
    if (contributed >= minContributions) {
      phase = RoundPhase.COMPLETED;
      return Decision.COMPLETE;
    }
    return abandonWith("deadline passed with " + contributed + " of the required " + minContributions + " contributions");
  }

  private void enter(RoundPhase next, Instant deadline) {
    phase = next;
    phaseDeadline = deadline;
  }

  private void dropAll(ParticipantState late) {
    participants.replaceAll((site, state) -> state == late ? ParticipantState.DROPPED : state);
  }

  private int count(Set<ParticipantState> states) {
    return (int) participants.values().stream().filter(states::contains).count();
  }

  private Decision abandonWith(String reason) {
    phase = RoundPhase.ABANDONED;
    abandonReason = reason;
    return Decision.ABANDON;
  }

  /** A completed round whose result could not be persisted is not applied after all. */
  void abandon(String reason) {
    abandonWith(reason);
  }

  /** The new global model: base + example-weighted mean of the updates. Only after COMPLETE. */
  float[] newGlobal() {
    if (phase != RoundPhase.COMPLETED) {
      throw new IllegalStateException("round " + number + " is " + phase);
    }
    if (secure == null) {
      return sum.applyTo(base);
    }
    float[] average = aggregate.weightedAverage();
    float[] next = new float[base.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = base[i] + average[i];
    }
    return next;
  }

  RoundSummary summary(Instant now) {
    int contributions = secure == null ? sum.contributions()
        : aggregate != null ? aggregate.contributors().size() : maskedInputs;
    long totalWeight = secure == null ? (long) sum.totalWeight() : aggregate != null ? aggregate.totalWeight() : 0;
    return new RoundSummary(number, phase, contributions, totalWeight,
        evalWeight > 0 ? evalLossSum / evalWeight : Double.NaN,
        evalWeight > 0 ? evalAccuracySum / evalWeight : Double.NaN,
        evalWeight > 0 ? evalAurocSum / evalWeight : Double.NaN,
        Duration.between(startedAt, now), abandonReason);
  }
}
