package org.cohort.coordinator.strategy;

import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): the sites add (mu /
 * 2)·||w − w_global||² to their local loss; the server step is FedAvg's.
 */
public final class FedProx implements ServerStrategy {

  private final double mu;
  private final FedAvg server = new FedAvg(StrategyName.FEDPROX);

  /** mu > 0: with 0 the sites would train plainly and this would be fedavg. */
  public FedProx(double mu) {
    if (!(mu > 0 && Double.isFinite(mu))) {
      throw new IllegalArgumentException("fedprox mu must be a positive number");
    }
    this.mu = mu;
  }

  @Override
  public String name() {
    return server.name();
  }

  @Override
  public RoundConfig configureRound(long round, List<String> available, TrainingSettings base) {
    return new RoundConfig(available, base.toBuilder().setProximalMu(mu).build());
  }

  @Override
  public float[] apply(float[] global, AggregateUpdate aggregate) {
    return server.apply(global, aggregate);
  }

  @Override
  public byte[] state() {
    return server.state();
  }

  @Override
  public void restore(byte[] state) {
    server.restore(state);
  }
}
