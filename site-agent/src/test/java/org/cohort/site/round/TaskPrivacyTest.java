package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.PrivacyMode;
import org.cohort.protocol.v1.PrivacySettings;
import org.junit.jupiter.api.Test;

/** A task's privacy settings are checked against its secure-aggregation setup, nothing trusted. */
class TaskPrivacyTest {

  private static final int DIMENSION = 100;
  private static final int PADDED = RandomizedHadamard.paddedDimension(DIMENSION);
  private static final List<ParticipantId> SITES =
      List.of(
          ParticipantId.of("a"),
          ParticipantId.of("b"),
          ParticipantId.of("c"),
          ParticipantId.of("d"));

  /** 4 sites, complete graph, t = 2. */
  private static Optional<RoundSetup> integerSetup(int bits, int vectorLength) {
    return Optional.of(
        new RoundSetup(
            "fed",
            1,
            SITES,
            new byte[32],
            SecAggParameters.integer(4, vectorLength, GraphPlan.complete(4, 2), bits)));
  }

  private static PrivacySettings.Builder distributed() {
    return PrivacySettings.newBuilder()
        .setMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED)
        .setClipNorm(1)
        .setNoiseMultiplier(1)
        .setSamplingRate(0.1)
        .setExpectedBatchSize(40)
        .setPlannedRounds(10)
        .setDelta(1e-5)
        .setBits(20)
        .setGuaranteedShares(2)
        .setMaxShares(4)
        .setRotationSeed(ByteString.copyFrom(new byte[RandomizedHadamard.SEED_BYTES]));
  }

  private static String refusal(PrivacySettings settings, Optional<RoundSetup> setup) {
    return assertThrows(
            IllegalArgumentException.class, () -> TaskPrivacy.of(settings, DIMENSION, setup))
        .getMessage();
  }

  @Test
  void aDistributedTaskMatchingItsSetupGetsItsIntegerEncoding() {
    RoundPrivacy privacy =
        TaskPrivacy.of(distributed().build(), DIMENSION, integerSetup(20, PADDED)).orElseThrow();
    assertEquals(RoundPrivacy.Mode.DISTRIBUTED, privacy.mode());
    assertEquals(2, privacy.distributed().guaranteedShares());
    assertEquals(PADDED, privacy.plan().paddedDimension());
    assertTrue(
        TaskPrivacy.of(PrivacySettings.getDefaultInstance(), DIMENSION, Optional.empty())
            .isEmpty());
  }

  @Test
  void aTaskThatOverstatesItsNoiseOrMismatchesItsSetupIsRefused() {
    assertTrue(
        refusal(distributed().setGuaranteedShares(3).build(), integerSetup(20, PADDED))
            .contains("threshold guarantees only 2"));
    assertTrue(
        refusal(distributed().build(), Optional.empty()).contains("without secure aggregation"));
    assertTrue(refusal(distributed().build(), integerSetup(16, PADDED)).contains("Z_(2^20)"));
    assertTrue(
        refusal(distributed().setMaxShares(5).build(), integerSetup(20, PADDED))
            .contains("max_shares"));
    assertTrue(
        refusal(distributed().build(), integerSetup(20, 2 * PADDED)).contains("padded length"));
    assertTrue(
        refusal(PrivacySettings.getDefaultInstance(), integerSetup(20, PADDED))
            .contains("without distributed privacy"));
    assertTrue(
        refusal(distributed().setPlannedRounds(0).build(), integerSetup(20, PADDED))
            .contains("planned_rounds"));
    assertTrue(
        refusal(distributed().setNoiseMultiplier(Double.NaN).build(), integerSetup(20, PADDED))
            .contains("noise multiplier"));
  }
}
