package org.cohort.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

  /** As the coordinator's config loader reads it. */
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private static StrategySettings parse(String yamlFlowMapping) {
    try {
      return YAML.readValue(yamlFlowMapping, StrategySettings.class);
    } catch (Exception e) {
      throw new AssertionError(yamlFlowMapping, e);
    }
  }

  private static void assertRefused(String expectedMessage, String yaml) {
    ConfigException e =
        assertThrows(ConfigException.class, () -> parse(yaml).validated(false, SITES));
    assertEquals(expectedMessage, e.getMessage());
  }

  @Test
  void theLoaderReadsEveryFieldFromSnakeCase() {
    assertEquals(
        new StrategySettings("fedadam", 0.5, 0.05, 0.7, 0.8, 0.95, 0.001, 0.3, 2, 4),
        parse(
            "{name: fedadam, mu: 0.5, server_learning_rate: 0.05, momentum: 0.7, beta1: 0.8, beta2: 0.95, "
                + "tau: 0.001, beta: 0.3, byzantine: 2, select: 4}"));
  }

  @Test
  void absentFieldsTakeTheDocumentedDefaults() {
    assertEquals(parse("{name: fedavg}"), StrategySettings.DEFAULT.validated(true, 3));
    assertEquals(parse("{name: fedavg}"), parse("{}").validated(true, 3));
    Map<String, String> defaults =
        Map.of(
            "{name: fedavgm}", "{name: fedavgm, server_learning_rate: 1.0, momentum: 0.9}",
            "{name: fedadagrad}",
                "{name: fedadagrad, server_learning_rate: 0.1, beta1: 0.0, tau: 1.0e-9}",
            "{name: fedadam}",
                "{name: fedadam, server_learning_rate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1.0e-9}",
            "{name: fedyogi}",
                "{name: fedyogi, server_learning_rate: 0.01, beta1: 0.9, beta2: 0.99, tau: 0.001}",
            "{name: fedadam, beta1: 0.8}",
                "{name: fedadam, server_learning_rate: 0.1, beta1: 0.8, beta2: 0.99, tau: 1.0e-9}",
            "{name: trimmed-mean}", "{name: trimmed-mean, beta: 0.2}");
    defaults.forEach(
        (given, filled) ->
            assertEquals(parse(filled), parse(given).validated(false, SITES), given));
  }

  @Test
  void eachErrorNamesItsField() {
    assertRefused(
        "strategy.name must be one of fedavg, fedprox, fedavgm, fedadagrad, fedadam, fedyogi, median, "
            + "trimmed-mean, krum, multi-krum",
        "{name: fedsgd}");
    assertRefused("strategy.mu applies only to fedprox", "{name: fedavg, mu: 0.1}");
    assertRefused(
        "strategy.server_learning_rate applies only to fedavgm, fedadagrad, fedadam, fedyogi",
        "{name: fedprox, mu: 0.1, server_learning_rate: 0.5}");
    assertRefused("strategy.momentum applies only to fedavgm", "{name: fedadam, momentum: 0.9}");
    assertRefused(
        "strategy.beta1 applies only to fedadagrad, fedadam, fedyogi",
        "{name: fedavgm, beta1: 0.9}");
    assertRefused(
        "strategy.beta2 applies only to fedadam, fedyogi", "{name: fedadagrad, beta2: 0.99}");
    assertRefused(
        "strategy.tau applies only to fedadagrad, fedadam, fedyogi", "{name: fedavgm, tau: 0.001}");
    assertRefused("strategy.beta applies only to trimmed-mean", "{name: median, beta: 0.1}");
    assertRefused(
        "strategy.byzantine applies only to krum, multi-krum", "{name: median, byzantine: 1}");
    assertRefused(
        "strategy.select applies only to multi-krum", "{name: krum, byzantine: 1, select: 2}");

    assertRefused(
        "strategy.mu must be set for fedprox (the weight of the proximal term; Li et al. 2020 tune it "
            + "over 0.001, 0.01, 0.1 and 1)",
        "{name: fedprox}");
    assertRefused("strategy.mu must be a positive number", "{name: fedprox, mu: 0.0}");
    assertRefused(
        "strategy.server_learning_rate must be a positive number",
        "{name: fedadam, server_learning_rate: -0.1}");
    assertRefused("strategy.tau must be a positive number", "{name: fedyogi, tau: 1.0e999}");
    assertRefused("strategy.momentum must be in [0, 1)", "{name: fedavgm, momentum: 1.0}");
    assertRefused("strategy.beta1 must be in [0, 1)", "{name: fedadam, beta1: 1.0}");
    assertRefused("strategy.beta2 must be in [0, 1)", "{name: fedyogi, beta2: -0.5}");
    assertRefused("strategy.beta must be in [0, 0.5)", "{name: trimmed-mean, beta: 0.5}");
    assertRefused(
        "strategy.byzantine must be set for krum (the number of Byzantine sites to tolerate)",
        "{name: krum}");
    assertRefused("strategy.byzantine must be >= 0", "{name: krum, byzantine: -1}");
    assertRefused(
        "strategy.byzantine = 2 needs at least 7 sites (2·byzantine + 3) for multi-krum, but at most 5 "
            + "take part",
        "{name: multi-krum, byzantine: 2, select: 2}");
    assertRefused(
        "strategy.select must be set for multi-krum (how many of the best-scored updates to average)",
        "{name: multi-krum, byzantine: 1}");
    assertRefused(
        "strategy.select must be >= 2 (select 1 is krum)",
        "{name: multi-krum, byzantine: 1, select: 1}");
    assertRefused(
        "strategy.select must be <= the number of sites minus strategy.byzantine (4), so the selected "
            + "updates can all be honest",
        "{name: multi-krum, byzantine: 1, select: 5}");
  }

  @Test
  void krumAcceptsExactlyTwoFPlusThreeSites() {
    StrategySettings krum = parse("{name: krum, byzantine: 1}");
    assertEquals(krum, krum.validated(false, 5));
    assertThrows(ConfigException.class, () -> krum.validated(false, 4));
  }

  @Test
  void robustStrategiesAreRefusedUnderSecureAggregationWithTheReason() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> parse("{name: median}").validated(true, SITES));
    assertEquals(
        "strategy.name median needs each site's individual update, which secure aggregation hides from the "
            + "coordinator by design; use fedavg, fedprox, fedavgm, fedadagrad, fedadam, fedyogi with secure aggregation, "
            + "or set secure_aggregation.enabled: false",
        e.getMessage());
    for (String robust : List.of("trimmed-mean", "krum", "multi-krum")) {
      e =
          assertThrows(
              ConfigException.class, () -> parse("{name: " + robust + "}").validated(true, SITES));
      assertTrue(
          e.getMessage()
              .startsWith("strategy.name " + robust + " needs each site's individual update"),
          e.getMessage());
    }
    assertTrue(parse("{name: median}").validated(false, SITES).robust());
    assertFalse(parse("{name: fedyogi}").validated(true, SITES).robust());
  }

  @Test
  void eachStrategyGetsItsNameAndItsAggregator(@TempDir Path spill) {
    Map<String, Class<? extends UpdateAggregator>> aggregators =
        Map.of(
            "{name: fedavg}", StreamingSum.class,
            "{name: fedprox, mu: 0.01}", StreamingSum.class,
            "{name: fedavgm}", StreamingSum.class,
            "{name: fedadagrad}", StreamingSum.class,
            "{name: fedadam}", StreamingSum.class,
            "{name: fedyogi}", StreamingSum.class,
            "{name: median}", CoordinateMedian.class,
            "{name: trimmed-mean}", TrimmedMean.class,
            "{name: krum, byzantine: 1}", Krum.class,
            "{name: multi-krum, byzantine: 1, select: 3}", Krum.class);
    aggregators.forEach(
        (yaml, type) -> {
          StrategySettings validated = parse(yaml).validated(false, SITES);
          assertEquals(validated.name(), validated.strategy().name());
          try (UpdateAggregator aggregator = validated.aggregator(4, spill)) {
            assertInstanceOf(type, aggregator, yaml);
          }
        });
  }

  @Test
  void theSettingsReachTheStrategy() {
    TrainingSettings base = TrainingSettings.newBuilder().setEpochs(1).build();
    ServerStrategy prox = parse("{name: fedprox, mu: 0.01}").validated(true, SITES).strategy();
    assertEquals(0.01, prox.configureRound(1, List.of("site-a"), base).training().getProximalMu());
    // Round 1 of ServerOptimizersTest's FedYogi case, worked out by hand there.
    ServerStrategy yogi =
        parse("{name: fedyogi, server_learning_rate: 0.1, beta1: 0.5, beta2: 0.5, tau: 0.01}")
            .validated(true, SITES)
            .strategy();
    float[] next =
        yogi.apply(
            new float[] {0.5f, -1.0f}, new AggregateUpdate(new float[] {0.2f, -0.4f}, 10, 2));
    assertEquals(0.565887234, next[0], 1e-6);
    assertEquals(-1.068254858, next[1], 1e-6);
    assertNull(parse("{name: krum, byzantine: 1}").validated(false, SITES).select());
  }
}
