package org.cohort.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.junit.jupiter.api.Test;

class FedAvgTest {

  private static final TrainingSettings BASE =
      TrainingSettings.newBuilder()
          .setEpochs(2)
          .setBatchSize(32)
          .setLearningRate(0.05)
          .setOptimizer(Optimizer.OPTIMIZER_ADAM)
          .setSeed(7)
          .build();

  @Test
  void fedAvgAddsTheDeltaToACopyOfTheGlobalModel() {
    float[] global = {0.5f, -1.0f, 2.0f};
    float[] next =
        new FedAvg(StrategyName.FEDAVG)
            .apply(global, new AggregateUpdate(new float[] {0.25f, -0.5f, 0f}, 9, 3));
    assertArrayEquals(new float[] {0.75f, -1.5f, 2.0f}, next);
    assertArrayEquals(new float[] {0.5f, -1.0f, 2.0f}, global);
  }

  @Test
  void everyAvailableSiteTakesPartWithTheJobsSettings() {
    List<String> available = new ArrayList<>(List.of("site-a", "site-b", "site-c"));
    RoundConfig config = new FedAvg(StrategyName.FEDAVG).configureRound(4, available, BASE);
    available.clear(); // the round's list must not follow the caller's
    assertEquals(List.of("site-a", "site-b", "site-c"), config.participants());
    assertEquals(BASE, config.training());
  }

  @Test
  void fedProxSendsMuAndKeepsTheRestOfTheSettings() {
    FedProx prox = new FedProx(0.01);
    RoundConfig config = prox.configureRound(1, List.of("site-a", "site-b"), BASE);
    assertEquals(0.01, config.training().getProximalMu());
    assertEquals(BASE, config.training().toBuilder().clearProximalMu().build());
    assertEquals(List.of("site-a", "site-b"), config.participants());
    assertEquals("fedprox", prox.name());
    assertArrayEquals(
        new float[] {1.5f, 0f},
        prox.apply(new float[] {1f, 1f}, new AggregateUpdate(new float[] {0.5f, -1f}, 2, 2)));
    assertThrows(IllegalArgumentException.class, () -> new FedProx(0));
  }

  @Test
  void robustStrategiesApplyTheirDeltaLikeFedAvgUnderTheirOwnName() {
    FedAvg median = new FedAvg(StrategyName.MEDIAN);
    assertEquals("median", median.name());
    assertArrayEquals(
        new float[] {3f},
        median.apply(new float[] {1f}, new AggregateUpdate(new float[] {2f}, 5, 5)));
  }

  @Test
  void statelessStrategiesHaveEmptyStateAndRejectAnyOther() {
    FedAvg fedavg = new FedAvg(StrategyName.FEDAVG);
    assertEquals(0, fedavg.state().length);
    fedavg.restore(new byte[0]);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new FedProx(0.1).restore(new byte[12]));
    assertEquals(
        "fedprox keeps no optimizer state, but was given 12 bytes of it: the checkpoint was written by a "
            + "stateful strategy",
        e.getMessage());
  }

  @Test
  void anAggregateOfTheWrongLengthIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new FedAvg(StrategyName.FEDAVG)
                    .apply(new float[3], new AggregateUpdate(new float[2], 1, 1)));
    assertEquals("aggregate has 2 elements, the model has 3", e.getMessage());
  }
}
