package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TensorSpec;
import org.cohort.site.round.Refusal.Rule;
import org.junit.jupiter.api.Test;

class TaskPolicyTest {

  private static final ModelSpec MODEL =
      ModelSpec.newBuilder().setKind("logreg").setInputFeatures(5).build();
  private static final List<TensorSpec> LAYOUT = ModelLayout.of(MODEL).tensors();
  private static final int ELEMENTS = ModelLayout.of(MODEL).totalElements();
  private static final ParticipantId SELF = ParticipantId.of("hospital-a");

  private final TaskPolicy policy =
      new TaskPolicy(
          1000,
          AggregationPolicy.PLAIN_ALLOWED,
          PrivacyPolicy.DEFAULT,
          () -> Optional.of(Instant.MAX));

  private Rule refusedBy(
      String federationId, ModelSpec model, List<TensorSpec> layout, long totalElements) {
    return policy.check(federationId, model, layout, totalElements).orElseThrow().rule();
  }

  @Test
  void aTaskForTheModelItNamesIsAccepted() {
    assertTrue(policy.check("fed", MODEL, LAYOUT, ELEMENTS).isEmpty());
  }

  @Test
  void eachRefusalNamesTheRuleThatRefused() {
    assertEquals(Rule.NOT_WELCOMED, refusedBy(null, MODEL, LAYOUT, ELEMENTS));
    assertEquals(
        Rule.UNSUPPORTED_MODEL,
        refusedBy("fed", MODEL.toBuilder().setKind("cnn").build(), LAYOUT, ELEMENTS));
    ModelSpec huge =
        ModelSpec.newBuilder().setKind("mlp").setInputFeatures(100).addHiddenSizes(100).build();
    assertEquals(
        Rule.MODEL_TOO_LARGE,
        refusedBy(
            "fed", huge, ModelLayout.of(huge).tensors(), ModelLayout.of(huge).totalElements()));
    assertEquals(Rule.LAYOUT_MISMATCH, refusedBy("fed", MODEL, LAYOUT, ELEMENTS + 1));
    assertEquals(Rule.LAYOUT_MISMATCH, refusedBy("fed", MODEL, LAYOUT.subList(0, 1), ELEMENTS));
    assertEquals(DeclineReason.DECLINE_REASON_POLICY, Rule.LAYOUT_MISMATCH.declineReason());
    assertEquals(
        DeclineReason.DECLINE_REASON_SECAGG_REFUSED, Rule.SECURE_AGGREGATION.declineReason());
  }

  @Test
  void aSetupMustBeForThisFederationRoundModelAndSite() {
    RoundSetup good = setup("fed", 4, ELEMENTS, "hospital-a");
    assertEquals(good.round(), policy.checkSetup(encoded(good), "fed", 4, ELEMENTS, SELF).round());

    assertThrows(
        SecAggException.WrongRound.class,
        () -> policy.checkSetup(encoded(good), "fed", 5, ELEMENTS, SELF));
    assertThrows(
        SecAggException.WrongRound.class,
        () -> policy.checkSetup(encoded(good), "other", 4, ELEMENTS, SELF));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () ->
            policy.checkSetup(
                encoded(setup("fed", 4, ELEMENTS + 1, "hospital-a")), "fed", 4, ELEMENTS, SELF));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () ->
            policy.checkSetup(
                encoded(setup("fed", 4, ELEMENTS, "hospital-x")), "fed", 4, ELEMENTS, SELF));
    assertThrows(
        SecAggException.MalformedMessage.class,
        () -> policy.checkSetup(ByteString.copyFromUtf8("not a setup"), "fed", 4, ELEMENTS, SELF));
  }

  @Test
  void plainAggregationIsRefusedUnlessTheSitesPolicyAllowsIt() {
    TaskPolicy defaults =
        new TaskPolicy(
            1000, AggregationPolicy.DEFAULT, PrivacyPolicy.DEFAULT, () -> Optional.of(Instant.MAX));
    Refusal refusal = defaults.checkAggregation(Optional.empty()).orElseThrow();
    assertEquals(Rule.PLAIN_AGGREGATION_REFUSED, refusal.rule());
    assertTrue(refusal.detail().contains("policy.aggregation.plain"), refusal.detail());
    assertEquals(
        DeclineReason.DECLINE_REASON_PLAIN_AGGREGATION_REFUSED, refusal.rule().declineReason());
    assertTrue(policy.checkAggregation(Optional.empty()).isEmpty());
    assertTrue(
        defaults.checkAggregation(Optional.of(setup("fed", 1, ELEMENTS, "hospital-a"))).isEmpty());
  }

  @Test
  void aSecureRoundWeakerThanEachMinimumIsRefused() {
    RoundSetup threeSites = setup("fed", 1, ELEMENTS, "hospital-a"); // complete graph, t = 2, k = 2
    for (AggregationPolicy stricter :
        List.of(
            new AggregationPolicy(null, 4, null, null),
            new AggregationPolicy(null, null, 3, 3),
            new AggregationPolicy(null, null, null, 4))) {
      TaskPolicy strict =
          new TaskPolicy(1000, stricter, PrivacyPolicy.DEFAULT, () -> Optional.of(Instant.MAX));
      Refusal refusal = strict.checkAggregation(Optional.of(threeSites)).orElseThrow();
      assertEquals(Rule.SECURE_AGGREGATION_TOO_WEAK, refusal.rule(), stricter.toString());
      assertEquals(
          DeclineReason.DECLINE_REASON_SECURE_AGGREGATION_TOO_WEAK, refusal.rule().declineReason());
    }
  }

  @Test
  void nothingIsServedOnceTheRevocationListHasExpiredOrWithoutOne() {
    Instant now = Instant.parse("2026-06-01T00:00:00Z");
    java.time.Clock clock = java.time.Clock.fixed(now, java.time.ZoneOffset.UTC);
    TaskPolicy expired =
        new TaskPolicy(
            1000,
            AggregationPolicy.PLAIN_ALLOWED,
            PrivacyPolicy.DEFAULT,
            () -> Optional.of(now),
            clock);
    TaskPolicy none =
        new TaskPolicy(
            1000, AggregationPolicy.PLAIN_ALLOWED, PrivacyPolicy.DEFAULT, Optional::empty, clock);
    TaskPolicy fresh =
        new TaskPolicy(
            1000,
            AggregationPolicy.PLAIN_ALLOWED,
            PrivacyPolicy.DEFAULT,
            () -> Optional.of(now.plusSeconds(1)),
            clock);
    for (TaskPolicy stopped : List.of(expired, none)) {
      Refusal refusal = stopped.check("fed", MODEL, LAYOUT, ELEMENTS).orElseThrow();
      assertEquals(Rule.REVOCATION_LIST_EXPIRED, refusal.rule());
      assertEquals(
          DeclineReason.DECLINE_REASON_REVOCATION_LIST_EXPIRED, refusal.rule().declineReason());
    }
    assertTrue(fresh.check("fed", MODEL, LAYOUT, ELEMENTS).isEmpty());
  }

  @Test
  void policyFieldsAreValidatedByName() {
    assertEquals(
        Optional.of("policy.aggregation.min_participants must be >= 3"),
        new AggregationPolicy(null, 2, null, null).invalidField());
    assertEquals(
        Optional.of("policy.aggregation.min_threshold must be >= 2"),
        new AggregationPolicy(null, null, 1, null).invalidField());
    assertTrue(
        new AggregationPolicy(null, null, 5, 4)
            .invalidField()
            .orElseThrow()
            .contains("min_threshold"));
    assertTrue(AggregationPolicy.DEFAULT.invalidField().isEmpty());
  }

  static RoundSetup setup(String federationId, long round, int elements, String firstParticipant) {
    SecAggParameters parameters =
        new SecAggParameters(3, elements, GraphPlan.complete(3, 2), 1.0, 1000);
    return new RoundSetup(
        federationId,
        round,
        List.of(
            ParticipantId.of(firstParticipant),
            ParticipantId.of("hospital-b"),
            ParticipantId.of("hospital-c")),
        new byte[32],
        parameters);
  }

  static ByteString encoded(RoundSetup setup) {
    return ByteString.copyFrom(setup.encode());
  }
}
