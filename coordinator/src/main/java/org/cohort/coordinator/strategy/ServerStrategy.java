package org.cohort.coordinator.strategy;

import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.TrainingSettings;

/** A server strategy, shaped like Flower's: configure a round, then apply its aggregate. */
public interface ServerStrategy {

  /** The {@link StrategyName} spelling, e.g. "fedadam". */
  String name();

  /** available: connected eligible sites in a stable order; base: the job's training settings. */
  RoundConfig configureRound(long round, List<String> available, TrainingSettings base);

  /**
   * The new global model. {@code global} is not modified (it may still be streaming out to sites);
   * the aggregate is the strategy's to consume, so its delta array may become the result.
   */
  float[] apply(float[] global, AggregateUpdate aggregate);

  /** Optimizer state (e.g. Adam moments) to persist in the checkpoint; empty array if stateless. */
  byte[] state();

  /**
   * Restores what state() returned; IllegalArgumentException with a clear message if it does not
   * fit (wrong strategy, length, version).
   */
  void restore(byte[] state);
}
