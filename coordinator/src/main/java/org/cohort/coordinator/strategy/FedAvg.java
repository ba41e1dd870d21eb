package org.cohort.coordinator.strategy;

import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * x ← x + Δ (McMahan et al. 2017), every available site every round, no server state. Also the
 * server step of the robust strategies, whose Δ is the robust aggregate, and of fedprox.
 */
public final class FedAvg implements ServerStrategy {

  private final StrategyName name;

  public FedAvg(StrategyName name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name.spelling();
  }

  @Override
  public RoundConfig configureRound(long round, List<String> available, TrainingSettings base) {
    return new RoundConfig(available, base);
  }

  @Override
  public float[] apply(float[] global, AggregateUpdate aggregate) {
    float[] next = aggregate.delta();
    requireSameLength(global, next);
    // The delta becomes the new model in place: one model-sized array less while a round applies.
    for (int i = 0; i < next.length; i++) {
      next[i] += global[i];
    }
    return next;
  }

  @Override
  public byte[] state() {
    return new byte[0];
  }

  @Override
  public void restore(byte[] state) {
    if (state.length != 0) {
      throw new IllegalArgumentException(
          name
              + " keeps no optimizer state, but was given "
              + state.length
              + " bytes of it: the checkpoint was written by a stateful strategy");
    }
  }

  static void requireSameLength(float[] global, float[] delta) {
    if (delta.length != global.length) {
      throw new IllegalArgumentException(
          "aggregate has " + delta.length + " elements, the model has " + global.length);
    }
  }
}
