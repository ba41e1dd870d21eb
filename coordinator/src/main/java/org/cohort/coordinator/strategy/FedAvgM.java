package org.cohort.coordinator.strategy;

import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * FedAvgM, server momentum (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification"): v ← β·v + Δ; x ← x + η·v, starting from v =
 * 0. (The paper descends along −Δ; this is the same step.) With β = 0 and η = 1 it is FedAvg.
 */
public final class FedAvgM implements ServerStrategy {

  private final double learningRate;
  private final double momentum;
  private long steps;
  private float[] velocity = new float[0];

  public FedAvgM(double learningRate, double momentum) {
    this.learningRate = learningRate;
    this.momentum = momentum;
  }

  @Override
  public String name() {
    return StrategyName.FEDAVGM.spelling();
  }

  @Override
  public RoundConfig configureRound(long round, List<String> available, TrainingSettings base) {
    return new RoundConfig(available, base);
  }

  @Override
  public float[] apply(float[] global, AggregateUpdate aggregate) {
    float[] delta = aggregate.delta();
    FedAvg.requireSameLength(global, delta);
    if (steps == 0) {
      velocity = new float[global.length];
    }
    OptimizerState.requireSameLength(StrategyName.FEDAVGM, velocity, global);
    float[] next = new float[global.length];
    for (int i = 0; i < next.length; i++) {
      double v = momentum * velocity[i] + delta[i];
      velocity[i] = (float) v;
      next[i] = (float) (global[i] + learningRate * v);
    }
    steps++;
    return next;
  }

  @Override
  public byte[] state() {
    return new OptimizerState(StrategyName.FEDAVGM, steps, velocity).encode();
  }

  @Override
  public void restore(byte[] state) {
    OptimizerState restored = OptimizerState.decode(state, StrategyName.FEDAVGM, 1);
    steps = restored.steps();
    velocity = restored.vectors()[0];
  }
}
