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
      new TaskPolicy(1000, AggregationPolicy.PLAIN_ALLOWED, () -> Optional.of(Instant.MAX));

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
