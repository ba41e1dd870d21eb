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
    assertTrue(
        policy.checkSpending(spending.after("other", CENTRAL.over(100), DELTA)).isEmpty(),
        "another federation's data set is accounted apart");
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
