package org.cohort.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Five sites over real mutual TLS, one of them hostile: it sends its update scaled by 1e6. With a
 * robust aggregator the applied model stays within the honest updates' spread of their
 * coordinate-wise median; FedAvg follows the hostile site, but only as far as the default
 * aggregation.max_update_norm lets one update reach. Plain rounds only: robust aggregation needs
 * the individual updates that secure aggregation hides.
 */
class RobustAggregationTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d", "hospital-e");
  private static final double POISON = 1e6;

  static Stream<Arguments> strategies() {
    return Stream.of(
        Arguments.of(settings("median", null, null), true),
        Arguments.of(settings("trimmed-mean", 0.2, null), true),
        Arguments.of(settings("krum", null, 1), true),
        Arguments.of(settings("fedavg", null, null), false));
  }

  private static StrategySettings settings(String name, Double beta, Integer byzantine) {
    return new StrategySettings(name, null, null, null, null, null, null, beta, byzantine, null);
  }

  /** An honest trainer's result with its update multiplied by {@link #POISON}. */
  private record Poisoned(LocalTrainer honest) implements LocalTrainer {
    @Override
    public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
      Outcome outcome = honest.train(model, settings, global);
      float[] next = outcome.newParameters();
      for (int i = 0; i < next.length; i++) {
        next[i] = (float) (global[i] + POISON * (next[i] - global[i]));
      }
      return new Outcome(next, outcome.exampleCount(), outcome.metrics());
    }

    @Override
    public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
      return honest.evaluate(model, parameters);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void oneSiteScalingItsUpdateBy1e6CannotMoveARobustAggregate(
      StrategySettings strategy, boolean robust, @TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, SITES.size(), 1, 30)
                  .plain()
                  .withStrategy(strategy));
      float[] initial = coordinator.globalModel().parameters();
      KnownUpdateTrainer[] honest = new KnownUpdateTrainer[SITES.size() - 1];
      for (int i = 0; i < honest.length; i++) {
        honest[i] = new KnownUpdateTrainer(i, 100);
        federation.startSite(SITES.get(i), coordinator.port(), honest[i]);
      }
      KnownUpdateTrainer hostile = new KnownUpdateTrainer(SITES.size() - 1, 100);
      federation.startSite(SITES.get(SITES.size() - 1), coordinator.port(), new Poisoned(hostile));
      assertEquals(1, coordinator.finished().get(60, TimeUnit.SECONDS));

      float[] applied = coordinator.globalModel().parameters();
      double worstRobustError = 0;
      for (int j = 0; j < initial.length; j++) {
        double[] honestUpdates = new double[honest.length];
        for (int i = 0; i < honest.length; i++) {
          honestUpdates[i] = honest[i].calls().get(0).update()[j];
        }
        Arrays.sort(honestUpdates);
        double honestMedian = (honestUpdates[1] + honestUpdates[2]) / 2;
        double spread = honestUpdates[honestUpdates.length - 1] - honestUpdates[0];
        double error = Math.abs((applied[j] - initial[j]) - honestMedian);
        worstRobustError = Math.max(worstRobustError, error / spread);
      }
      if (robust) {
        assertTrue(
            worstRobustError <= 1.0,
            strategy.name()
                + " strayed "
                + worstRobustError
                + " honest spreads from the honest median");
      } else {
        // Triangle inequality: each update counts with its weight and at most the norm bound.
        double bound = 0;
        for (KnownUpdateTrainer site : honest) {
          bound += 100 * norm(site.calls().get(0).update());
        }
        bound = (bound + 100 * CoordinatorConfig.DEFAULT_MAX_UPDATE_NORM) / (100.0 * SITES.size());
        float[] moved = new float[initial.length];
        for (int j = 0; j < moved.length; j++) {
          moved[j] = applied[j] - initial[j];
        }
        assertTrue(
            norm(moved) <= bound * (1 + 1e-5),
            "the clipped hostile update moved FedAvg by "
                + norm(moved)
                + ", more than the norm bound allows ("
                + bound
                + ")");
      }
    }
  }

  private static double norm(float[] values) {
    double sum = 0;
    for (float v : values) {
      sum += (double) v * v;
    }
    return Math.sqrt(sum);
  }
}
