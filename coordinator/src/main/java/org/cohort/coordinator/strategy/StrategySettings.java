package org.cohort.coordinator.strategy;

import static org.cohort.coordinator.strategy.StrategyName.FEDADAGRAD;
import static org.cohort.coordinator.strategy.StrategyName.FEDADAM;
import static org.cohort.coordinator.strategy.StrategyName.FEDAVGM;
import static org.cohort.coordinator.strategy.StrategyName.FEDPROX;
import static org.cohort.coordinator.strategy.StrategyName.FEDYOGI;
import static org.cohort.coordinator.strategy.StrategyName.KRUM;
import static org.cohort.coordinator.strategy.StrategyName.MULTI_KRUM;
import static org.cohort.coordinator.strategy.StrategyName.TRIMMED_MEAN;

import java.nio.file.Path;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cohort.coordinator.aggregate.CoordinateMedian;
import org.cohort.coordinator.aggregate.Krum;
import org.cohort.coordinator.aggregate.StreamingSum;
import org.cohort.coordinator.aggregate.TrimmedMean;
import org.cohort.coordinator.aggregate.UpdateAggregator;
import org.cohort.coordinator.config.ConfigException;

/**
 * The {@code strategy} section of coordinator.yaml. Absent fields take these defaults ("Flower" is
 * flwr.server.strategy, whose FedOpt family implements Reddi et al. 2021, arXiv:2003.00295v5):
 *
 * <ul>
 *   <li>fedprox: mu has no default (Li et al. 2020 tune it per task over 0.001 … 1; Flower requires
 *       it too).
 *   <li>fedavgm: server_learning_rate 1.0, momentum 0.9 (the usual SGD momentum and one of the
 *       values Hsu et al. 2019 sweep; Flower's FedAvgM defaults to momentum 0, which is FedAvg).
 *   <li>fedadagrad: server_learning_rate 0.1, beta1 0, tau 1e-9 (Flower's FedAdagrad, which fixes
 *       beta1 = 0; Algorithm 2 allows any beta1).
 *   <li>fedadam: server_learning_rate 0.1, beta1 0.9, beta2 0.99, tau 1e-9 (Flower's FedAdam).
 *   <li>fedyogi: server_learning_rate 0.01, beta1 0.9, beta2 0.99, tau 1e-3 (Flower's FedYogi).
 *   <li>trimmed-mean: beta 0.2 (Flower's FedTrimmedAvg).
 *   <li>krum, multi-krum: byzantine has no default (it is the threat model: the number of Byzantine
 *       sites to tolerate); multi-krum's select has none either.
 * </ul>
 *
 * Fields are boxed so that absent ones can be told apart; call {@link #validated} before the rest.
 */
public record StrategySettings(
    String name,
    Double mu,
    Double serverLearningRate,
    Double momentum,
    Double beta1,
    Double beta2,
    Double tau,
    Double beta,
    Integer byzantine,
    Integer select) {

  public static final StrategySettings DEFAULT =
      new StrategySettings(
          StrategyName.FEDAVG.spelling(), null, null, null, null, null, null, null, null, null);

  /**
   * Update data a robust aggregator holds in memory at once (its spill file holds the rest): small
   * next to the staging buffers, yet a block of 64 MiB / (n × 4) columns keeps each read of the
   * spill file long for any realistic number of sites n.
   */
  public static final long ROBUST_MEMORY_BUDGET_BYTES = 64L << 20;

  /**
   * Fills defaults and checks every field for this strategy; ConfigException naming the field. A
   * field that does not apply to the chosen strategy is an error too.
   */
  public StrategySettings validated(boolean secureAggregation, int maxSites) {
    StrategyName strategy =
        name == null
            ? StrategyName.FEDAVG
            : StrategyName.fromSpelling(name)
                .orElseThrow(
                    () ->
                        new ConfigException(
                            "strategy.name must be one of "
                                + spellings(List.of(StrategyName.values()))));
    if (secureAggregation && strategy.robust()) {
      throw new ConfigException(
          "strategy.name "
              + strategy
              + " needs each site's individual update, which secure "
              + "aggregation hides from the coordinator by design; use "
              + spellings(Stream.of(StrategyName.values()).filter(n -> !n.robust()).toList())
              + " with secure aggregation, or set secure_aggregation.enabled: false");
    }
    // Each field lists the strategies it applies to, with their defaults where there is one.
    Double proximal =
        required(
            strategy,
            mu,
            "mu",
            EnumSet.of(FEDPROX),
            "the weight of the proximal term; Li et al. 2020 tune it over 0.001, 0.01, 0.1 and 1");
    Double rate =
        number(
            strategy,
            serverLearningRate,
            "server_learning_rate",
            Range.POSITIVE,
            Map.of(FEDAVGM, 1.0, FEDADAGRAD, 0.1, FEDADAM, 0.1, FEDYOGI, 0.01));
    Double serverMomentum =
        number(strategy, momentum, "momentum", Range.UNIT, Map.of(FEDAVGM, 0.9));
    Double firstMoment =
        number(
            strategy,
            beta1,
            "beta1",
            Range.UNIT,
            Map.of(FEDADAGRAD, 0.0, FEDADAM, 0.9, FEDYOGI, 0.9));
    Double secondMoment =
        number(strategy, beta2, "beta2", Range.UNIT, Map.of(FEDADAM, 0.99, FEDYOGI, 0.99));
    Double adaptivity =
        number(
            strategy,
            tau,
            "tau",
            Range.POSITIVE,
            Map.of(FEDADAGRAD, 1e-9, FEDADAM, 1e-9, FEDYOGI, 1e-3));
    Double trimmed = number(strategy, beta, "beta", Range.BELOW_HALF, Map.of(TRIMMED_MEAN, 0.2));
    Integer tolerated =
        required(
            strategy,
            byzantine,
            "byzantine",
            EnumSet.of(KRUM, MULTI_KRUM),
            "the number of Byzantine sites to tolerate");
    Integer selected =
        required(
            strategy,
            select,
            "select",
            EnumSet.of(MULTI_KRUM),
            "how many of the best-scored updates to average");
    if (proximal != null) {
      require(Range.POSITIVE.test(proximal), "strategy.mu must be " + Range.POSITIVE);
    }
    if (tolerated != null) {
      require(tolerated >= 0, "strategy.byzantine must be >= 0");
      require(
          maxSites >= 2 * tolerated + 3,
          "strategy.byzantine = "
              + tolerated
              + " needs at least "
              + (2 * tolerated + 3)
              + " sites (2·byzantine + 3) for "
              + strategy
              + ", but at most "
              + maxSites
              + " take part");
    }
    if (selected != null) {
      require(selected >= 2, "strategy.select must be >= 2 (select 1 is krum)");
      require(
          selected <= maxSites - tolerated,
          "strategy.select must be <= the number of sites minus "
              + "strategy.byzantine ("
              + (maxSites - tolerated)
              + "), so the selected updates can all be honest");
    }
    return new StrategySettings(
        strategy.spelling(),
        proximal,
        rate,
        serverMomentum,
        firstMoment,
        secondMoment,
        adaptivity,
        trimmed,
        tolerated,
        selected);
  }

  public boolean robust() {
    return kind().robust();
  }

  /** A fresh strategy (empty optimizer state) for these validated settings. */
  public ServerStrategy strategy() {
    StrategyName kind = kind();
    return switch (kind) {
      case FEDAVG, MEDIAN, TRIMMED_MEAN, KRUM, MULTI_KRUM -> new FedAvg(kind);
      case FEDPROX -> new FedProx(mu);
      case FEDAVGM -> new FedAvgM(serverLearningRate, momentum);
      case FEDADAGRAD -> FedOpt.adagrad(serverLearningRate, beta1, tau);
      case FEDADAM -> FedOpt.adam(serverLearningRate, beta1, beta2, tau);
      case FEDYOGI -> FedOpt.yogi(serverLearningRate, beta1, beta2, tau);
    };
  }

  /**
   * One round's aggregator: StreamingSum for the non-robust strategies, else a spilling robust one.
   */
  public UpdateAggregator aggregator(int elements, Path spillDirectory) {
    return switch (kind()) {
      case FEDAVG, FEDPROX, FEDAVGM, FEDADAGRAD, FEDADAM, FEDYOGI -> new StreamingSum(elements);
      case MEDIAN -> new CoordinateMedian(elements, spillDirectory, ROBUST_MEMORY_BUDGET_BYTES);
      case TRIMMED_MEAN ->
          new TrimmedMean(elements, beta, spillDirectory, ROBUST_MEMORY_BUDGET_BYTES);
      case KRUM -> new Krum(elements, byzantine, 1, spillDirectory, ROBUST_MEMORY_BUDGET_BYTES);
      case MULTI_KRUM ->
          new Krum(elements, byzantine, select, spillDirectory, ROBUST_MEMORY_BUDGET_BYTES);
    };
  }

  private StrategyName kind() {
    return StrategyName.fromSpelling(name)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "strategy settings used before validated(): name " + name));
  }

  /**
   * The value for a field without a default: null if the field does not apply, else it must be set.
   */
  private static <T> T required(
      StrategyName chosen, T value, String field, Set<StrategyName> owners, String meaning) {
    if (!owners.contains(chosen)) {
      requireUnset(value, field, owners);
      return null;
    }
    require(
        value != null, "strategy." + field + " must be set for " + chosen + " (" + meaning + ")");
    return value;
  }

  /**
   * The value or its default for a field that applies to defaults' keys; null for other strategies.
   */
  private static Double number(
      StrategyName chosen,
      Double value,
      String field,
      Range range,
      Map<StrategyName, Double> defaults) {
    if (!defaults.containsKey(chosen)) {
      requireUnset(value, field, defaults.keySet());
      return null;
    }
    double v = value != null ? value : defaults.get(chosen);
    require(range.test(v), "strategy." + field + " must be " + range);
    return v;
  }

  private static void requireUnset(Object value, String field, Set<StrategyName> owners) {
    require(value == null, "strategy." + field + " applies only to " + spellings(owners));
  }

  private enum Range implements DoublePredicate {
    POSITIVE("a positive number") {
      @Override
      public boolean test(double v) {
        return v > 0 && Double.isFinite(v);
      }
    },
    UNIT("in [0, 1)") {
      @Override
      public boolean test(double v) {
        return v >= 0 && v < 1;
      }
    },
    BELOW_HALF("in [0, 0.5)") {
      @Override
      public boolean test(double v) {
        return v >= 0 && v < 0.5;
      }
    };

    private final String description;

    Range(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /** In declaration order, whatever the collection's own order. */
  private static String spellings(Collection<StrategyName> names) {
    return names.stream().sorted().map(StrategyName::spelling).collect(Collectors.joining(", "));
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new ConfigException(message);
    }
  }
}
