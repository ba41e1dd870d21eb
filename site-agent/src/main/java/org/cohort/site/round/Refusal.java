package org.cohort.site.round;

import org.cohort.crypto.secagg.SecAggException;
import org.cohort.protocol.v1.DeclineReason;

/**
 * Why the site declines a task: the rule that refused it, and a detail that is safe to send and to
 * log (it names checks, fields and participants, never secrets or patient values).
 */
public record Refusal(Rule rule, String detail) {

  /**
   * Every reason the site declines a task, each with the decline reason the coordinator is told.
   */
  public enum Rule {
    // Checked by TaskPolicy when the task arrives, before its model is sent.
    /** A task arrived before the Welcome that names the federation. */
    NOT_WELCOMED(DeclineReason.DECLINE_REASON_POLICY),
    /**
     * The site's newest revocation list has expired (or it holds none): it cannot tell whom to
     * trust, so it serves nothing until the coordinator relays a fresh list.
     */
    REVOCATION_LIST_EXPIRED(DeclineReason.DECLINE_REASON_REVOCATION_LIST_EXPIRED),
    /**
     * A training task without a secure-aggregation setup, and the site's policy refuses plain
     * aggregation (the default).
     */
    PLAIN_AGGREGATION_REFUSED(DeclineReason.DECLINE_REASON_PLAIN_AGGREGATION_REFUSED),
    /**
     * A secure round with fewer participants, a lower threshold or a lower graph degree than the
     * site's policy accepts.
     */
    SECURE_AGGREGATION_TOO_WEAK(DeclineReason.DECLINE_REASON_SECURE_AGGREGATION_TOO_WEAK),
    /** The task's privacy settings are malformed (e.g. a mode without its parameters). */
    PRIVACY_SETTINGS_INVALID(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /** The task's privacy mode is not among policy.privacy.modes. */
    PRIVACY_MODE_REFUSED(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /** The job's δ is above policy.privacy.max_delta. */
    DELTA_TOO_HIGH(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /** The noise multiplier is below policy.privacy.min_noise_multiplier. */
    NOISE_TOO_LOW(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /** The clip norm is outside policy.privacy.min_clip..max_clip. */
    CLIP_OUT_OF_RANGE(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /** The job's planned rounds would spend more than policy.privacy.max_epsilon. */
    EPSILON_TOO_HIGH(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED),
    /**
     * What the site already released in the federation plus this round would exceed
     * policy.privacy.max_epsilon (a job rerun or extended beyond its plan).
     */
    BUDGET_EXHAUSTED(DeclineReason.DECLINE_REASON_BUDGET_EXCEEDED),
    /** The model kind or shape is not one {@link org.cohort.protocol.model.ModelLayout} knows. */
    UNSUPPORTED_MODEL(DeclineReason.DECLINE_REASON_POLICY),
    /** More parameters than the site accepts to hold. */
    MODEL_TOO_LARGE(DeclineReason.DECLINE_REASON_POLICY),
    /** The task's layout or element count is not the one its model implies. */
    LAYOUT_MISMATCH(DeclineReason.DECLINE_REASON_POLICY),
    /**
     * The secure-aggregation engine refused the task's setup (not for this federation, round, model
     * or site; see {@link TaskPolicy#checkSetup}) or, later, one of the round's messages.
     */
    SECURE_AGGREGATION(DeclineReason.DECLINE_REASON_SECAGG_REFUSED),
    /**
     * The survivor-set consistency check failed (the engine's {@link
     * SecAggException.ConsistencyCheckFailed}): the coordinator told sites different survivor sets,
     * or relayed too few, foreign or invalid signatures. The site reveals no share.
     */
    INCONSISTENT_SURVIVORS(DeclineReason.DECLINE_REASON_INCONSISTENT_SURVIVORS),
    /**
     * A secure round on a base model this site already contributed to with another participant set
     * ({@link ContributionLedger}).
     */
    BASE_MODEL_REUSED(DeclineReason.DECLINE_REASON_BASE_MODEL_REUSED),
    // Found while the task runs.
    /**
     * The global model's chunks do not cover the model exactly once, in order, with finite values.
     */
    INVALID_MODEL_STREAM(DeclineReason.DECLINE_REASON_POLICY),
    /** The trainer threw, e.g. on settings or a model width its data cannot serve. */
    TRAINING_FAILED(DeclineReason.DECLINE_REASON_POLICY),
    /**
     * The trainer returned parameters of the wrong length or non-finite, or no training examples.
     */
    UNUSABLE_MODEL(DeclineReason.DECLINE_REASON_POLICY),
    /** The trainer threw while evaluating. */
    EVALUATION_FAILED(DeclineReason.DECLINE_REASON_POLICY),
    /**
     * Secure aggregation failed on the site for a reason other than a refusal (e.g. an unreadable
     * kit).
     */
    SECURE_AGGREGATION_FAILED(DeclineReason.DECLINE_REASON_POLICY);

    private final DeclineReason declineReason;

    Rule(DeclineReason declineReason) {
      this.declineReason = declineReason;
    }

    public DeclineReason declineReason() {
      return declineReason;
    }
  }

  /**
   * The engine's typed refusal; its messages name parameters and participants, never keys or
   * values.
   */
  static Refusal secureAggregation(SecAggException refusal) {
    return new Refusal(
        refusal instanceof SecAggException.ConsistencyCheckFailed
            ? Rule.INCONSISTENT_SURVIVORS
            : Rule.SECURE_AGGREGATION,
        refusal.getClass().getSimpleName() + ": " + refusal.getMessage());
  }
}
