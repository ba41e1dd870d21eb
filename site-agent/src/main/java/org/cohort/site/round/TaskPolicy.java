package org.cohort.site.round;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TensorSpec;
import org.cohort.site.round.Refusal.Rule;

/**
 * What the site checks before it accepts a task's model stream: cheap checks of the task alone, so
 * they run on the connection thread and a refused task costs no model transfer. The site's own
 * policy decides whether the protection a training task offers is enough ({@link
 * AggregationPolicy}); whatever the coordinator says, a site whose revocation list has expired
 * serves nothing. Training settings are checked by the trainer, which knows its data.
 */
public final class TaskPolicy {

  private final long maxModelElements;
  private final AggregationPolicy aggregation;
  private final PrivacyPolicy privacy;
  private final RevocationListExpiry revocationList;
  private final Clock clock;

  /**
   * @param maxModelElements tasks for models with more parameters are refused
   * @param aggregation what protection a training task must offer
   * @param privacy what differential privacy a training task must offer
   * @param revocationList when the site's newest revocation list expires
   */
  public TaskPolicy(
      long maxModelElements,
      AggregationPolicy aggregation,
      PrivacyPolicy privacy,
      RevocationListExpiry revocationList) {
    this(maxModelElements, aggregation, privacy, revocationList, Clock.systemUTC());
  }

  TaskPolicy(
      long maxModelElements,
      AggregationPolicy aggregation,
      PrivacyPolicy privacy,
      RevocationListExpiry revocationList,
      Clock clock) {
    this.maxModelElements = maxModelElements;
    this.aggregation = aggregation;
    this.privacy = privacy;
    this.revocationList = revocationList;
    this.clock = clock;
  }

  /**
   * The first rule a task for {@code model} breaks, if any.
   *
   * @param federationId the federation the Welcome named, or null before it
   */
  public Optional<Refusal> check(
      String federationId, ModelSpec model, List<TensorSpec> layout, long totalElements) {
    if (federationId == null) {
      return refuse(Rule.NOT_WELCOMED, "task before welcome");
    }
    Optional<Instant> nextUpdate = revocationList.nextUpdate();
    if (nextUpdate.isEmpty()) {
      return refuse(Rule.REVOCATION_LIST_EXPIRED, "this site holds no revocation list");
    }
    if (!clock.instant().isBefore(nextUpdate.get())) {
      return refuse(
          Rule.REVOCATION_LIST_EXPIRED,
          "this site's newest revocation list expired at " + nextUpdate.get());
    }
    ModelLayout expected;
    try {
      expected = ModelLayout.of(model);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return refuse(Rule.UNSUPPORTED_MODEL, "unsupported model: " + e.getMessage());
    }
    if (expected.totalElements() > maxModelElements) {
      return refuse(Rule.MODEL_TOO_LARGE, "model has more parameters than this site accepts");
    }
    if (totalElements != expected.totalElements() || !expected.tensors().equals(layout)) {
      return refuse(Rule.LAYOUT_MISMATCH, "task layout does not match its model");
    }
    return Optional.empty();
  }

  /**
   * Decodes a task's secure-aggregation setup, which must be for this federation and round, sum
   * vectors of {@code vectorLength} elements (the model's parameters, or their padded integer
   * encoding in a distributed-DP round), and name {@code self} among the participants.
   *
   * @throws SecAggException the engine's typed refusal (see {@link Refusal#secureAggregation})
   */
  public RoundSetup checkSetup(
      ByteString encoded, String federationId, long round, long vectorLength, ParticipantId self) {
    RoundSetup setup = RoundSetup.decode(encoded.toByteArray());
    setup.requireRound(federationId, round);
    if (setup.parameters().vectorLength() != vectorLength) {
      throw new SecAggException.InvalidParameters(
          "secure aggregation setup is for vectors of "
              + setup.parameters().vectorLength()
              + " elements, the task needs "
              + vectorLength);
    }
    if (!setup.participants().contains(self)) {
      throw new SecAggException.InvalidParameters(self + " is not among the round's participants");
    }
    return setup;
  }

  /**
   * Whether a training task's protection is enough for this site: {@code setup} is the task's
   * checked secure-aggregation setup, empty for a plain task.
   */
  public Optional<Refusal> checkAggregation(Optional<RoundSetup> setup) {
    return setup.isEmpty() ? aggregation.checkPlain() : aggregation.checkSecure(setup.get());
  }

  /** Whether policy.privacy.max_epsilon leaves room for a release that brings the spend here. */
  public Optional<Refusal> checkSpending(PrivacySpent afterRound) {
    return this.privacy.checkSpending(afterRound);
  }

  /** The first rule of policy.privacy a training task breaks, if any. */
  public Optional<Refusal> checkPrivacy(
      Optional<RoundPrivacy> privacy, long plannedRounds, double delta) {
    return this.privacy.check(privacy, plannedRounds, delta);
  }

  private static Optional<Refusal> refuse(Rule rule, String detail) {
    return Optional.of(new Refusal(rule, detail));
  }
}
