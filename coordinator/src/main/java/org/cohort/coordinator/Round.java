package org.cohort.coordinator;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.UpdateHeader;

/**
 * One round's state machine: the phase (see {@link RoundPhase}), each selected participant's state,
 * and the streaming sum of contributions. Confined to the coordinator's round thread, so it needs
 * no locks; every transition happens in a method of this class.
 */
final class Round {

  /** A selected participant's progress in this round. */
  enum ParticipantState { TASKED, UPLOADING, CONTRIBUTED, DECLINED, REJECTED, DROPPED }

  /** What {@link #settle} decided. */
  enum Decision { WAIT, COMPLETE, ABANDON }

  private final long number;
  private final Instant startedAt;
  private final int minContributions;
  private final float[] base;
  private final Map<String, ParticipantState> participants = new LinkedHashMap<>();
  private final WeightedUpdateSum sum;
  private RoundPhase phase = RoundPhase.COLLECTING;
  private String abandonReason = "";
  private double evalWeight;
  private double evalLossSum;
  private double evalAccuracySum;
  private double evalAurocSum;

  Round(long number, Collection<String> participants, int minContributions, float[] base, Instant startedAt) {
    this.number = number;
    this.minContributions = minContributions;
    this.base = base;
    this.startedAt = startedAt;
    this.sum = new WeightedUpdateSum(base.length);
    for (String site : participants) {
      this.participants.put(site, ParticipantState.TASKED);
    }
  }

  long number() {
    return number;
  }

  RoundPhase phase() {
    return phase;
  }

  float[] base() {
    return base;
  }

  List<String> participants() {
    return List.copyOf(participants.keySet());
  }

  /** Null if {@code site} may now upload its update, otherwise why not. */
  ErrorCode admitUpload(String site, UpdateHeader header) {
    if (phase != RoundPhase.COLLECTING) {
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
    if (phase != RoundPhase.COLLECTING || participants.get(site) != ParticipantState.UPLOADING) {
      return false;
    }
    sum.add(update, header.getExampleCount());
    participants.put(site, ParticipantState.CONTRIBUTED);
    LocalMetrics m = header.getMetrics();
    if (m.getEvalExamples() > 0 && Double.isFinite(m.getEvalLoss()) && Double.isFinite(m.getEvalAuroc())) {
      evalWeight += m.getEvalExamples();
      evalLossSum += m.getEvalExamples() * m.getEvalLoss();
      evalAccuracySum += m.getEvalExamples() * m.getEvalAccuracy();
      evalAurocSum += m.getEvalExamples() * m.getEvalAuroc();
    }
    return true;
  }

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
    if (phase == RoundPhase.COLLECTING
        && (state == ParticipantState.TASKED || state == ParticipantState.UPLOADING)) {
      participants.put(site, to);
    }
  }

  /**
   * Completes the round when every participant has answered (or the deadline passed) with enough
   * contributions; abandons it when the deadline passed, or too few participants are left to reach
   * the minimum.
   */
  Decision settle(boolean deadlinePassed) {
    if (phase != RoundPhase.COLLECTING) {
      return Decision.WAIT;
    }
    int contributed = sum.contributions();
    long outstanding = participants.values().stream()
        .filter(s -> s == ParticipantState.TASKED || s == ParticipantState.UPLOADING).count();
    if (contributed + outstanding < minContributions) {
      phase = RoundPhase.ABANDONED;
      abandonReason = "only " + (contributed + outstanding) + " of the required " + minContributions
          + " participants can still contribute";
      return Decision.ABANDON;
    }
    if (outstanding > 0 && !deadlinePassed) {
      return Decision.WAIT;
    }
    if (contributed >= minContributions) {
      phase = RoundPhase.COMPLETED;
      return Decision.COMPLETE;
    }
    phase = RoundPhase.ABANDONED;
    abandonReason = "deadline passed with " + contributed + " of the required " + minContributions + " contributions";
    return Decision.ABANDON;
  }

  /** A completed round whose result could not be persisted is not applied after all. */
  void abandon(String reason) {
    phase = RoundPhase.ABANDONED;
    abandonReason = reason;
  }

  /** The new global model: base + example-weighted mean of the updates. Only after COMPLETE. */
  float[] newGlobal() {
    if (phase != RoundPhase.COMPLETED) {
      throw new IllegalStateException("round " + number + " is " + phase);
    }
    return sum.applyTo(base);
  }

  RoundSummary summary(Instant now) {
    return new RoundSummary(number, phase, sum.contributions(), (long) sum.totalWeight(),
        evalWeight > 0 ? evalLossSum / evalWeight : Double.NaN,
        evalWeight > 0 ? evalAccuracySum / evalWeight : Double.NaN,
        evalWeight > 0 ? evalAurocSum / evalWeight : Double.NaN,
        Duration.between(startedAt, now), abandonReason);
  }
}
