package org.cohort.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.aggregate.CoordinateMedian;
import org.cohort.coordinator.aggregate.Krum;
import org.cohort.coordinator.aggregate.StreamingSum;
import org.cohort.coordinator.aggregate.TrimmedMean;
import org.cohort.coordinator.aggregate.UpdateAggregator;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.protocol.v1.TrainingSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StrategySettingsTest {

  private static final int SITES = 5;

  private static StrategySettings named(String name) {
    return new StrategySettings(name, null, null, null, null, null, null, null, null, null);
  }

  private static StrategySettings settings(String name, Double mu, Double rate, Double momentum, Double beta1,
                                           Double beta2, Double tau, Double beta, Integer byzantine, Integer select) {
    return new StrategySettings(name, mu, rate, momentum, beta1, beta2, tau, beta, byzantine, select);
  }

  private static void assertRefused(String expectedMessage, StrategySettings settings) {
    ConfigException e = assertThrows(ConfigException.class, () -> settings.validated(false, SITES));
    assertEquals(expectedMessage, e.getMessage());
  }

  @Test
  void absentFieldsTakeTheDocumentedDefaults() {
    assertEquals(named("fedavg"), StrategySettings.DEFAULT.validated(true, 3));
    assertEquals(named("fedavg"), named(null).validated(true, 3));
    assertEquals(settings("fedavgm", null, 1.0, 0.9, null, null, null, null, null, null),
        named("fedavgm").validated(true, SITES));
    assertEquals(settings("fedadagrad", null, 0.1, null, 0.0, null, 1e-9, null, null, null),
        named("fedadagrad").validated(true, SITES));
    assertEquals(settings("fedadam", null, 0.1, null, 0.9, 0.99, 1e-9, null, null, null),
        named("fedadam").validated(true, SITES));
    assertEquals(settings("fedyogi", null, 0.01, null, 0.9, 0.99, 1e-3, null, null, null),
        named("fedyogi").validated(true, SITES));
    assertEquals(settings("trimmed-mean", null, null, null, null, null, null, 0.2, null, null),
        named("trimmed-mean").validated(false, SITES));
    assertEquals(settings("fedadam", null, 0.05, null, 0.8, 0.99, 1e-9, null, null, null),
        settings("fedadam", null, 0.05, null, 0.8, null, null, null, null, null).validated(true, SITES));
  }

  @Test
  void eachErrorNamesItsField() {
    assertRefused("strategy.name must be one of fedavg, fedprox, fedavgm, fedadagrad, fedadam, fedyogi, median, "
        + "trimmed-mean, krum, multi-krum", named("fedsgd"));
    assertRefused("strategy.mu applies only to fedprox", settings("fedavg", 0.1, null, null, null, null, null, null, null, null));
    assertRefused("strategy.server_learning_rate applies only to fedavgm, fedadagrad, fedadam, fedyogi",
        settings("fedprox", 0.1, 0.5, null, null, null, null, null, null, null));
    assertRefused("strategy.momentum applies only to fedavgm", settings("fedadam", null, null, 0.9, null, null, null, null, null, null));
    assertRefused("strategy.beta1 applies only to fedadagrad, fedadam, fedyogi",
        settings("fedavgm", null, null, null, 0.9, null, null, null, null, null));
    assertRefused("strategy.beta2 applies only to fedadam, fedyogi",
        settings("fedadagrad", null, null, null, null, 0.99, null, null, null, null));
    assertRefused("strategy.tau applies only to fedadagrad, fedadam, fedyogi",
        settings("fedavgm", null, null, null, null, null, 1e-3, null, null, null));
    assertRefused("strategy.beta applies only to trimmed-mean", settings("median", null, null, null, null, null, null, 0.1, null, null));
    assertRefused("strategy.byzantine applies only to krum, multi-krum",
        settings("median", null, null, null, null, null, null, null, 1, null));
    assertRefused("strategy.select applies only to multi-krum", settings("krum", null, null, null, null, null, null, null, 1, 2));

    assertRefused("strategy.mu must be set for fedprox (the weight of the proximal term; Li et al. 2020 tune it over "
        + "0.001, 0.01, 0.1 and 1)", named("fedprox"));
    assertRefused("strategy.mu must be a positive number", settings("fedprox", 0.0, null, null, null, null, null, null, null, null));
    assertRefused("strategy.server_learning_rate must be a positive number",
        settings("fedadam", null, -0.1, null, null, null, null, null, null, null));
    assertRefused("strategy.tau must be a positive number",
        settings("fedyogi", null, null, null, null, null, Double.NaN, null, null, null));
    assertRefused("strategy.momentum must be in [0, 1)", settings("fedavgm", null, null, 1.0, null, null, null, null, null, null));
    assertRefused("strategy.beta1 must be in [0, 1)", settings("fedadam", null, null, null, 1.0, null, null, null, null, null));
    assertRefused("strategy.beta2 must be in [0, 1)", settings("fedyogi", null, null, null, null, -0.5, null, null, null, null));
    assertRefused("strategy.beta must be in [0, 0.5)", settings("trimmed-mean", null, null, null, null, null, null, 0.5, null, null));
    assertRefused("strategy.byzantine must be set for krum (the number of Byzantine sites to tolerate)", named("krum"));
    assertRefused("strategy.byzantine must be >= 0", settings("krum", null, null, null, null, null, null, null, -1, null));
    assertRefused("strategy.byzantine = 2 needs at least 7 sites (2·byzantine + 3) for multi-krum, but at most 5 take part",
        settings("multi-krum", null, null, null, null, null, null, null, 2, 2));
    assertRefused("strategy.select must be set for multi-krum (how many of the best-scored updates to average)",
        settings("multi-krum", null, null, null, null, null, null, null, 1, null));
    assertRefused("strategy.select must be >= 2 (select 1 is krum)",
        settings("multi-krum", null, null, null, null, null, null, null, 1, 1));
    assertRefused("strategy.select must be <= the number of sites minus strategy.byzantine (4), so the selected "
        + "updates can all be honest", settings("multi-krum", null, null, null, null, null, null, null, 1, 5));
  }

  @Test
  void krumAcceptsExactlyTwoFPlusThreeSites() {
    StrategySettings krum = settings("krum", null, null, null, null, null, null, null, 1, null);
    assertEquals(krum, krum.validated(false, 5));
    assertThrows(ConfigException.class, () -> krum.validated(false, 4));
  }

  @Test
  void robustStrategiesAreRefusedUnderSecureAggregationWithTheReason() {
    ConfigException e = assertThrows(ConfigException.class, () -> named("median").validated(true, SITES));
    assertEquals("strategy.name median needs each site's individual update, which secure aggregation hides from the "
        + "coordinator by design; use fedavg, fedprox, fedavgm, fedadagrad, fedadam, fedyogi with secure aggregation, "
        + "or set secure_aggregation.enabled: false", e.getMessage());
    for (String robust : List.of("trimmed-mean", "krum", "multi-krum")) {
      StrategySettings s = settings(robust, null, null, null, null, null, null, null, null, null);
      e = assertThrows(ConfigException.class, () -> s.validated(true, SITES));
      assertTrue(e.getMessage().startsWith("strategy.name " + robust + " needs each site's individual update"), e.getMessage());
    }
    assertTrue(named("median").validated(false, SITES).robust());
    assertFalse(named("fedyogi").validated(true, SITES).robust());
  }

  @Test
  void eachStrategyGetsItsNameItsParametersAndItsAggregator(@TempDir Path spill) {
    record Expected(StrategySettings settings, Class<? extends UpdateAggregator> aggregator) {}
    List<Expected> all = List.of(
        new Expected(named("fedavg"), StreamingSum.class),
        new Expected(settings("fedprox", 0.01, null, null, null, null, null, null, null, null), StreamingSum.class),
        new Expected(named("fedavgm"), StreamingSum.class),
        new Expected(named("fedadagrad"), StreamingSum.class),
        new Expected(named("fedadam"), StreamingSum.class),
        new Expected(named("fedyogi"), StreamingSum.class),
        new Expected(named("median"), CoordinateMedian.class),
        new Expected(named("trimmed-mean"), TrimmedMean.class),
        new Expected(settings("krum", null, null, null, null, null, null, null, 1, null), Krum.class),
        new Expected(settings("multi-krum", null, null, null, null, null, null, null, 1, 3), Krum.class));
    for (Expected expected : all) {
      StrategySettings validated = expected.settings().validated(false, SITES);
      assertEquals(expected.settings().name(), validated.strategy().name());
      try (UpdateAggregator aggregator = validated.aggregator(4, spill)) {
        assertInstanceOf(expected.aggregator(), aggregator, expected.settings().name());
      }
    }
    TrainingSettings base = TrainingSettings.newBuilder().setEpochs(1).build();
    ServerStrategy prox = settings("fedprox", 0.01, null, null, null, null, null, null, null, null)
        .validated(true, SITES).strategy();
    assertEquals(0.01, prox.configureRound(1, List.of("site-a"), base).training().getProximalMu());
    // Round 1 of ServerOptimizersTest's FedYogi case, worked out by hand: the settings reach the optimizer.
    ServerStrategy yogi = settings("fedyogi", null, 0.1, null, 0.5, 0.5, 0.01, null, null, null)
        .validated(true, SITES).strategy();
    float[] next = yogi.apply(new float[] {0.5f, -1.0f}, new AggregateUpdate(new float[] {0.2f, -0.4f}, 10, 2));
    assertEquals(0.565887234, next[0], 1e-6);
    assertEquals(-1.068254858, next[1], 1e-6);
  }

  @Test
  void theConfigLoaderCanReadItFromSnakeCaseYaml() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory()).setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    StrategySettings parsed = yaml.readValue("{name: fedadam, server_learning_rate: 0.05, beta1: 0.8, tau: 0.001}",
        StrategySettings.class);
    assertEquals(settings("fedadam", null, 0.05, null, 0.8, null, 0.001, null, null, null), parsed);
    assertEquals(settings("multi-krum", null, null, null, null, null, null, null, 1, 3),
        yaml.readValue("{name: multi-krum, byzantine: 1, select: 3}", StrategySettings.class));
  }
}
