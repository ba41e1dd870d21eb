package org.cohort.coordinator.strategy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.junit.jupiter.api.Test;

/**
 * The stateful server optimizers against values worked out by hand (in double precision) from the
 * update rules of Hsu et al. 2019 and Reddi et al. 2021, Algorithm 2, over three rounds.
 */
class ServerOptimizersTest {

  private static final float[] START = {0.5f, -1.0f};
  private static final float[][] DELTAS = {{0.2f, -0.4f}, {0.05f, 0.3f}, {-0.1f, 0.0f}};
  private static final double TOLERANCE = 1e-6;

  // Non-default hyperparameters make every term visible: eta 0.1, beta1 0.5, beta2 0.5, tau 0.01 (v
  // starts at 1e-4).
  private static final Supplier<ServerStrategy> ADAGRAD = () -> FedOpt.adagrad(0.1, 0.5, 0.01);
  private static final Supplier<ServerStrategy> ADAM = () -> FedOpt.adam(0.1, 0.5, 0.5, 0.01);
  private static final Supplier<ServerStrategy> YOGI = () -> FedOpt.yogi(0.1, 0.5, 0.5, 0.01);
  private static final Supplier<ServerStrategy> AVGM = () -> new FedAvgM(0.5, 0.9);

  /** The global model after each round, starting from START and applying DELTAS in turn. */
  private static float[][] run(ServerStrategy strategy) {
    float[][] models = new float[DELTAS.length][];
    float[] global = START;
    for (int r = 0; r < DELTAS.length; r++) {
      global = strategy.apply(global, new AggregateUpdate(DELTAS[r], 10, 2));
      models[r] = global;
    }
    return models;
  }

  private static void assertModels(double[][] expected, float[][] actual) {
    for (int r = 0; r < expected.length; r++) {
      for (int i = 0; i < expected[r].length; i++) {
        assertEquals(
            expected[r][i], actual[r][i], TOLERANCE, "round " + (r + 1) + ", element " + i);
      }
    }
  }

  @Test
  void fedAvgMAccumulatesServerMomentum() {
    // v1 = Δ1 = (0.2, -0.4); x1 = x0 + 0.5·v1 = (0.6, -1.2)
    // v2 = 0.9·v1 + Δ2 = (0.23, -0.06); x2 = (0.715, -1.23)
    // v3 = 0.9·v2 + Δ3 = (0.107, -0.054); x3 = (0.7685, -1.257)
    assertModels(new double[][] {{0.6, -1.2}, {0.715, -1.23}, {0.7685, -1.257}}, run(AVGM.get()));
  }

  @Test
  void fedAdagradSumsSquaredDeltas() {
    // Round 1, element 0: m = 0.5·0 + 0.5·0.2 = 0.1; v = 1e-4 + 0.04 = 0.0401;
    // x = 0.5 + 0.1·0.1 / (√0.0401 + 0.01) = 0.547562461.
    assertModels(
        new double[][] {
          {0.547562461, -1.048765623}, {0.582220874, -1.038963623}, {0.576998329, -1.034062623}
        },
        run(ADAGRAD.get()));
  }

  @Test
  void fedAdamAveragesSquaredDeltas() {
    // Round 1, element 0: m = 0.1; v = 0.5·1e-4 + 0.5·0.04 = 0.02005; x = 0.5 + 0.01 / (√0.02005 +
    // 0.01).
    assertModels(
        new double[][] {
          {0.565963921, -1.068275444}, {0.630516809, -1.051696671}, {0.619468380, -1.040132533}
        },
        run(ADAM.get()));
  }

  @Test
  void fedYogiMovesTheSecondMomentBySignOfItsGap() {
    // Round 2 covers both signs: element 0 has v = 0.0201 > Δ² = 0.0025, so v falls to 0.01885
    // (Adam would give 0.011275); element 1 has v = 0.0801 < Δ² = 0.09, so v rises to 0.1251.
    assertModels(
        new double[][] {
          {0.565887234, -1.068254858}, {0.616805355, -1.054507067}, {0.607015717, -1.047633171}
        },
        run(YOGI.get()));
  }

  @Test
  void stateRestoredIntoAFreshInstanceContinuesIdentically() {
    for (Supplier<ServerStrategy> factory : List.of(AVGM, ADAGRAD, ADAM, YOGI)) {
      ServerStrategy original = factory.get();
      float[] global = START;
      for (int r = 0; r < 2; r++) {
        global = original.apply(global, new AggregateUpdate(DELTAS[r], 10, 2));
      }
      ServerStrategy resumed = factory.get();
      resumed.restore(original.state());
      AggregateUpdate third = new AggregateUpdate(DELTAS[2], 10, 2);
      float[] expected = run(factory.get())[2];
      assertArrayEquals(expected, original.apply(global, third), original.name());
      assertArrayEquals(expected, resumed.apply(global, third), original.name() + " after restore");
    }
  }

  @Test
  void stateOfAStrategyThatNeverRanRestoresToAFreshStart() {
    ServerStrategy resumed = ADAM.get();
    resumed.restore(ADAM.get().state());
    assertArrayEquals(
        run(ADAM.get())[0], resumed.apply(START, new AggregateUpdate(DELTAS[0], 10, 2)));
  }

  @Test
  void restoringAnotherStrategysStateFailsNamingBoth() {
    ServerStrategy adam = ADAM.get();
    run(adam);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> YOGI.get().restore(adam.state()));
    assertEquals("optimizer state belongs to fedadam, not fedyogi", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ADAM.get().restore(AVGM.get().state()));
    assertEquals("optimizer state belongs to fedavgm, not fedadam", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ADAGRAD.get().restore(new byte[0]));
    assertTrue(
        e.getMessage()
            .startsWith("fedadagrad needs its optimizer state, but the checkpoint has none"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new FedAvg(StrategyName.FEDAVG).restore(adam.state()));
    assertTrue(e.getMessage().startsWith("fedavg keeps no optimizer state"), e.getMessage());
  }

  @Test
  void restoringAStateOfAnotherVersionOrLengthFails() {
    ServerStrategy adam = ADAM.get();
    run(adam);
    byte[] state = adam.state();
    byte[] otherVersion = state.clone();
    otherVersion[0] = 2; // the version is the first little-endian int
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ADAM.get().restore(otherVersion));
    assertEquals(
        "optimizer state has format version 2, this coordinator reads version 1", e.getMessage());
    byte[] truncated = Arrays.copyOf(state, state.length - 1);
    e = assertThrows(IllegalArgumentException.class, () -> ADAM.get().restore(truncated));
    assertEquals("optimizer state for fedadam is truncated or corrupt", e.getMessage());
    ServerStrategy resumed = ADAM.get();
    resumed.restore(state);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> resumed.apply(new float[3], new AggregateUpdate(new float[3], 10, 2)));
    assertEquals("fedadam optimizer state has 2 elements, the model has 3", e.getMessage());
  }

  @Test
  void applyReturnsANewModelAndLeavesTheGlobalAlone() {
    for (Supplier<ServerStrategy> factory : List.of(AVGM, ADAGRAD, ADAM, YOGI)) {
      float[] global = START.clone();
      float[] next = factory.get().apply(global, new AggregateUpdate(DELTAS[0], 10, 2));
      assertArrayEquals(START, global);
      assertNotSame(global, next);
    }
  }
}
