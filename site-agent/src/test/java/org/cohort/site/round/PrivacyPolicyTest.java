package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.site.round.Refusal.Rule;
import org.junit.jupiter.api.Test;

class PrivacyPolicyTest {

  private static final double DELTA = 1e-5;

  /** q = 0.01, z = 1.1, C = 1 over a 100-parameter model: ε ≈ 1.7 after 1000 steps. */
  private static final RoundPrivacy CENTRAL =
      new RoundPrivacy(RoundPrivacy.Mode.CENTRAL, 1.0, 1.1, 0.01, 50, 100, 1);

  private static Rule refusedBy(PrivacyPolicy policy, Optional<RoundPrivacy> privacy) {
    return policy.check(privacy, 1000, DELTA).orElseThrow().rule();
  }

  @Test
  void theDefaultServesEveryModeAtAnySettings() {
    assertTrue(PrivacyPolicy.DEFAULT.check(Optional.empty(), 1000, DELTA).isEmpty());
    assertTrue(PrivacyPolicy.DEFAULT.check(Optional.of(CENTRAL), 1000, DELTA).isEmpty());
    assertTrue(PrivacyPolicy.DEFAULT.invalidField().isEmpty());
  }

  @Test
  void eachRuleRefusesWithItsNameAndTheDeclineReasonOfPrivacy() {
    PrivacyPolicy distributedOnly =
        new PrivacyPolicy(List.of(PrivacyPolicy.Mode.DISTRIBUTED), null, null, null, null);
    assertEquals(Rule.PRIVACY_MODE_REFUSED, refusedBy(distributedOnly, Optional.empty()));
    assertEquals(Rule.PRIVACY_MODE_REFUSED, refusedBy(distributedOnly, Optional.of(CENTRAL)));
    assertEquals(
        Rule.NOISE_TOO_LOW,
        refusedBy(new PrivacyPolicy(null, 1.5, null, null, null), Optional.of(CENTRAL)));
    assertEquals(
        Rule.CLIP_OUT_OF_RANGE,
        refusedBy(new PrivacyPolicy(null, null, null, 2.0, null), Optional.of(CENTRAL)));
    assertEquals(
        Rule.CLIP_OUT_OF_RANGE,
        refusedBy(new PrivacyPolicy(null, null, null, null, 0.5), Optional.of(CENTRAL)));
    for (Rule rule :
        List.of(
            Rule.PRIVACY_MODE_REFUSED,
            Rule.NOISE_TOO_LOW,
            Rule.CLIP_OUT_OF_RANGE,
            Rule.EPSILON_TOO_HIGH,
            Rule.PRIVACY_SETTINGS_INVALID)) {
      assertEquals(DeclineReason.DECLINE_REASON_PRIVACY_REFUSED, rule.declineReason());
    }
  }

  /**
   * The limit is checked against the site's own accountant over the job's planned rounds: ε ≈ 1.7
   * for q = 0.01, σ = 1.1, 1000 steps at δ = 1e-5, so a limit of 1 refuses the job and a limit of 2
   * accepts it, and 100 rounds of the same mechanism stay below 1.
   */
  @Test
  void theEpsilonLimitIsCheckedOverThePlannedRounds() {
    Refusal refusal =
        new PrivacyPolicy(null, null, 1.0, null, null)
            .check(Optional.of(CENTRAL), 1000, DELTA)
            .orElseThrow();
    assertEquals(Rule.EPSILON_TOO_HIGH, refusal.rule());
    assertTrue(refusal.detail().contains("1000 planned rounds"), refusal.detail());
    assertTrue(
        new PrivacyPolicy(null, null, 2.0, null, null)
            .check(Optional.of(CENTRAL), 1000, DELTA)
            .isEmpty());
    assertTrue(
        new PrivacyPolicy(null, null, 1.0, null, null)
            .check(Optional.of(CENTRAL), 100, DELTA)
            .isEmpty(),
        "100 rounds of the same mechanism spend far less");
  }

  /** A job rerun or extended past its plan is stopped by what the site already released. */
  @Test
  void aSiteStopsReleasingOnceOneMoreRoundWouldExceedItsLimit() {
    PrivacyPolicy policy = new PrivacyPolicy(null, null, 2.0, null, null);
    PrivacySpending spending = new PrivacySpending("hospital-a");
    int released = 0;
    while (policy.checkSpending(spending.after("fed", CENTRAL.over(100), DELTA)).isEmpty()) {
      spending.released("fed", released, CENTRAL.over(100), DELTA);
      released++;
    }
    Refusal refusal =
        policy.checkSpending(spending.after("fed", CENTRAL.over(100), DELTA)).orElseThrow();
    assertEquals(Rule.BUDGET_EXHAUSTED, refusal.rule());
    assertEquals(DeclineReason.DECLINE_REASON_BUDGET_EXCEEDED, refusal.rule().declineReason());
    double spent = spending.spent("fed").orElseThrow().epsilon();
    assertTrue(spent <= 2.0 && spent > 1.0, "stopped at " + spent + " after " + released);
    // Spending is kept per federation id, which the coordinator names: the same records under
    // another id start afresh. The durable per-data-set budget is the next issue's.
    assertTrue(policy.checkSpending(spending.after("other", CENTRAL.over(100), DELTA)).isEmpty());
  }

  /**
   * The coordinator picks δ: at δ = 0.5 the same job spends ε ≈ 0 and an ε limit alone would not
   * bind, so a policy with any limit caps δ too (at 1e-5 unless it says otherwise).
   */
  @Test
  void aLargeDeltaCannotSlipAJobUnderTheEpsilonLimit() {
    PrivacyPolicy limited = new PrivacyPolicy(null, null, 1.0, null, null);
    Refusal refusal = limited.check(Optional.of(CENTRAL), 1000, 0.5).orElseThrow();
    assertEquals(Rule.DELTA_TOO_HIGH, refusal.rule());
    assertTrue(refusal.detail().contains("policy.privacy.max_delta"), refusal.detail());
    assertEquals(
        Rule.DELTA_TOO_HIGH,
        new PrivacyPolicy(null, null, null, null, null, 1e-8)
            .check(Optional.of(CENTRAL), 10, DELTA)
            .orElseThrow()
            .rule());
    assertTrue(PrivacyPolicy.DEFAULT.check(Optional.of(CENTRAL), 10, 0.5).isEmpty());
  }

  /** A policy that sets any limit does not serve un-noised tasks unless it lists off itself. */
  @Test
  void aPolicyWithLimitsRefusesTasksWithoutPrivacy() {
    assertEquals(
        Rule.PRIVACY_MODE_REFUSED,
        refusedBy(new PrivacyPolicy(null, null, 3.0, null, null), Optional.empty()));
    assertTrue(
        new PrivacyPolicy(List.of(PrivacyPolicy.Mode.OFF), null, 3.0, null, null)
            .check(Optional.empty(), 10, DELTA)
            .isEmpty());
  }

  @Test
  void badFieldsAreNamed() {
    assertEquals(
        "policy.privacy.modes must list at least one mode",
        new PrivacyPolicy(List.of(), null, null, null, null).invalidField().orElseThrow());
    assertEquals(
        "policy.privacy.max_epsilon must be > 0",
        new PrivacyPolicy(null, null, 0.0, null, null).invalidField().orElseThrow());
    assertEquals(
        "policy.privacy.min_clip must not exceed policy.privacy.max_clip",
        new PrivacyPolicy(null, null, null, 2.0, 1.0).invalidField().orElseThrow());
  }
}
