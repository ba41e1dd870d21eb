package org.cohort.coordinator.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.PrivacyMode;
import org.cohort.protocol.v1.PrivacySettings;
import org.junit.jupiter.api.Test;

class FederationPrivacyTest {

  private static final List<String> SITES = List.of("a", "b", "c", "d", "e");

  /** 5 sites (all per round), logreg over 99 features (100 parameters), 50 rounds, lr 0.5. */
  private static CoordinatorConfig config(CoordinatorConfig.Privacy privacy) {
    CoordinatorConfig starter =
        CoordinatorConfig.starter("fed", Path.of("kit"), SITES, 99)
            .withSites(new CoordinatorConfig.Sites(SITES, 5))
            .withRounds(new CoordinatorConfig.Rounds(50, 60))
            .withTraining(new CoordinatorConfig.Training(1, 32, 0.5, "sgd"));
    return starter.withPrivacy(privacy).validated();
  }

  private static CoordinatorConfig.Privacy privacy(
      String mode, Double epsilon, Double noiseMultiplier, Integer colluders) {
    return new CoordinatorConfig.Privacy(
        mode, null, epsilon, noiseMultiplier, 1e-5, 1.0, 0.05, 50.0, null, 20, colluders, null);
  }

  @Test
  void theTargetIsCalibratedOverThePlannedRoundsForTheWeakestRound() {
    for (String mode : List.of("distributed", "central", "local")) {
      FederationPrivacy planned =
          FederationPrivacy.of(config(privacy(mode, 3.0, null, null))).orElseThrow();
      double epsilon = planned.spentAfter(50).epsilon();
      assertTrue(epsilon <= 3.0 && epsilon > 2.99, mode + ": " + epsilon);
    }
    assertTrue(
        FederationPrivacy.of(
                config(
                    new CoordinatorConfig.Privacy(
                        "off", null, null, null, null, null, null, null, null, null, null, null)))
            .isEmpty());
  }

  /** 5 sites: t = 3 (a majority of the 4 neighbours), so 3 colluders leave no honest share. */
  @Test
  void aRoundThatCouldCarryNoHonestNoiseShareIsRefused() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> FederationPrivacy.of(config(privacy("distributed", null, 1.0, 3))));
    assertTrue(e.getMessage().contains("privacy.colluders"), e.getMessage());
    FederationPrivacy two =
        FederationPrivacy.of(config(privacy("distributed", null, 1.0, 2))).orElseThrow();
    RoundPrivacy round = two.forRound(5, 3);
    assertEquals(1, round.distributed().guaranteedShares());
    assertEquals(5, round.distributed().maxShares());
    assertFalse(
        Arrays.equals(
            round.distributed().rotationSeed(), two.forRound(5, 3).distributed().rotationSeed()),
        "every round gets a fresh public rotation");
  }

  @Test
  void everyTaskCarriesTheNumbersASiteRecomputesItsGuaranteeFrom() {
    FederationPrivacy planned =
        FederationPrivacy.of(config(privacy("distributed", 3.0, null, null))).orElseThrow();
    RoundPrivacy round = planned.forRound(5, 3);
    PrivacySettings settings = planned.settings(round);
    assertEquals(PrivacyMode.PRIVACY_MODE_DISTRIBUTED, settings.getMode());
    assertEquals(round.noiseMultiplier(), settings.getNoiseMultiplier());
    assertEquals(50, settings.getPlannedRounds());
    assertEquals(20, settings.getBits());
    assertEquals(3, settings.getGuaranteedShares());
    assertEquals(5, settings.getMaxShares());
    assertEquals(48, settings.getRotationSeed().size());
  }

  /**
   * Central: the step is −lr · (Σ of the sites' Σ clip(g)/B + N(0, (z·C/B)²)); with every site
   * sending zeros, the step is pure noise of standard deviation lr·z·C/B (within sampling error).
   */
  @Test
  void theCentralStepAddsTheCalibratedNoiseAndScalesByTheLearningRate() {
    int dimension = 200_000;
    FederationPrivacy planned =
        FederationPrivacy.of(config(privacy("central", null, 2.0, null))).orElseThrow();
    RoundPrivacy round = planned.forRound(5, 3);
    AggregateUpdate released =
        planned.release(round, new AggregateUpdate(new float[dimension], 5, 5));
    double squares = 0;
    for (float v : released.delta()) {
      squares += (double) v * v;
    }
    double expected = 0.5 * 2.0 * 1.0 / 50.0;
    assertEquals(expected, Math.sqrt(squares / dimension), expected * 0.01);

    float[] mean = new float[dimension];
    Arrays.fill(mean, 0.2f);
    FederationPrivacy shares =
        FederationPrivacy.of(config(privacy("distributed", null, 2.0, null))).orElseThrow();
    AggregateUpdate distributed =
        shares.release(shares.forRound(5, 3), new AggregateUpdate(mean, 5, 5));
    // Distributed: the decoded noisy sum over B, times −lr.
    assertEquals(-0.5 * 0.2 / 50.0, distributed.delta()[7], 1e-9);
  }
}
