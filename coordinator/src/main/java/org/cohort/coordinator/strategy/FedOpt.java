package org.cohort.coordinator.strategy;

import java.util.Arrays;
import java.util.List;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * FedAdagrad, FedAdam and FedYogi: Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm
 * 2, with the aggregate delta Δ as the pseudo-gradient:
 *
 * <pre>
 *   m ← β1·m + (1 − β1)·Δ
 *   Adagrad: v ← v + Δ²
 *   Adam:    v ← β2·v + (1 − β2)·Δ²
 *   Yogi:    v ← v − (1 − β2)·Δ²·sign(v − Δ²)
 *   x ← x + η·m / (√v + τ)
 * </pre>
 *
 * per coordinate, from m = 0 and v = τ² (Algorithm 2 asks for v₋₁ ≥ τ²; Flower starts v at 0). As
 * in Algorithm 2 there is no bias correction (recent Flower FedAdam adds one). m and v are kept as
 * float32, the step is computed in double. Defaults and their sources: {@link StrategySettings}.
 */
public final class FedOpt implements ServerStrategy {

  /** How v follows Δ², the only difference between the three optimizers. */
  private enum SecondMoment {
    ADAGRAD,
    ADAM,
    YOGI
  }

  private final StrategyName name;
  private final SecondMoment rule;
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double tau;
  private long steps;
  private float[] m = new float[0];
  private float[] v = new float[0];

  private FedOpt(
      StrategyName name,
      SecondMoment rule,
      double learningRate,
      double beta1,
      double beta2,
      double tau) {
    this.name = name;
    this.rule = rule;
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.tau = tau;
  }

  public static FedOpt adagrad(double learningRate, double beta1, double tau) {
    return new FedOpt(StrategyName.FEDADAGRAD, SecondMoment.ADAGRAD, learningRate, beta1, 0, tau);
  }

  public static FedOpt adam(double learningRate, double beta1, double beta2, double tau) {
    return new FedOpt(StrategyName.FEDADAM, SecondMoment.ADAM, learningRate, beta1, beta2, tau);
  }

  public static FedOpt yogi(double learningRate, double beta1, double beta2, double tau) {
    return new FedOpt(StrategyName.FEDYOGI, SecondMoment.YOGI, learningRate, beta1, beta2, tau);
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
    float[] delta = aggregate.delta();
    FedAvg.requireSameLength(global, delta);
    if (steps == 0) {
      m = new float[global.length];
      v = new float[global.length];
      Arrays.fill(v, (float) (tau * tau));
    }
    OptimizerState.requireSameLength(name, m, global);
    float[] next = new float[global.length];
    for (int i = 0; i < next.length; i++) {
      double d = delta[i];
      double d2 = d * d;
      double mi = beta1 * m[i] + (1 - beta1) * d;
      double vi =
          switch (rule) {
            case ADAGRAD -> v[i] + d2;
            case ADAM -> beta2 * v[i] + (1 - beta2) * d2;
            case YOGI -> v[i] - (1 - beta2) * d2 * Math.signum(v[i] - d2);
          };
      m[i] = (float) mi;
      v[i] = (float) vi;
      next[i] = (float) (global[i] + learningRate * mi / (Math.sqrt(vi) + tau));
    }
    steps++;
    return next;
  }

  @Override
  public byte[] state() {
    return new OptimizerState(name, steps, m, v).encode();
  }

  @Override
  public void restore(byte[] state) {
    OptimizerState restored = OptimizerState.decode(state, name, 2);
    steps = restored.steps();
    m = restored.vectors()[0];
    v = restored.vectors()[1];
  }
}
