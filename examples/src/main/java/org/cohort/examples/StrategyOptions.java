package org.cohort.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Collectors;
import org.cohort.coordinator.strategy.StrategyName;
import org.cohort.coordinator.strategy.StrategySettings;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The coordinator's server strategy as command-line options of simulate and demo. They only fill
 * the config's {@code strategy} section: defaults, ranges and which parameter belongs to which
 * strategy are the coordinator's ({@link StrategySettings#validated}), so its one-line error is
 * what a wrong combination prints.
 */
final class StrategyOptions {

  /** Writes StrategySettings as coordinator.yaml names it. */
  private static final ObjectMapper SNAKE_CASE =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  @Option(
      names = "--strategy",
      defaultValue = "fedavg",
      paramLabel = "NAME",
      converter = NameConverter.class,
      completionCandidates = Spellings.class,
      description = {
        "Server strategy: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). fedprox needs --mu, "
            + "krum --byzantine, multi-krum --byzantine and --select. median, trimmed-mean, krum and multi-krum are "
            + "Byzantine-robust: they need each site's own update, which secure aggregation hides, so they run "
            + "without it."
      })
  StrategyName name;

  @Option(
      names = "--mu",
      paramLabel = "MU",
      description = "fedprox: weight of the proximal term (no default).")
  Double mu;

  @Option(
      names = "--server-learning-rate",
      paramLabel = "RATE",
      description =
          "fedavgm, fedadagrad, fedadam, fedyogi: the server's step size (default: the coordinator's "
              + "for the strategy; the run prints the values it uses).")
  Double serverLearningRate;

  @Option(
      names = "--trim-beta",
      paramLabel = "BETA",
      description =
          "trimmed-mean: share of the values cut at each end, in [0, 0.5) (default: the coordinator's).")
  Double trimBeta;

  @Option(
      names = "--byzantine",
      paramLabel = "F",
      description =
          "krum, multi-krum: Byzantine sites to tolerate (no default; needs >= 2F + 3 sites).")
  Integer byzantine;

  @Option(
      names = "--select",
      paramLabel = "M",
      description = "multi-krum: how many of the best-scored updates to average (no default).")
  Integer select;

  /** As given: unchecked, with absent parameters null (the coordinator fills the defaults). */
  StrategySettings settings() {
    return new StrategySettings(
        name.spelling(),
        mu,
        serverLearningRate,
        null,
        null,
        null,
        null,
        trimBeta,
        byzantine,
        select);
  }

  /** Printed when a robust strategy turns secure aggregation off. */
  String secureAggregationWarning() {
    return "warning: secure aggregation is off: "
        + name
        + " needs each site's own update, so the coordinator "
        + "sees every site's update in the clear";
  }

  /**
   * Validated settings as JSON with the config's snake_case names, e.g.
   * {"name":"fedadam","beta1":0.9,...}.
   */
  static ObjectNode toJson(StrategySettings validated) {
    ObjectNode node = SNAKE_CASE.valueToTree(validated);
    node.properties().removeIf(field -> field.getValue().isNull());
    return node;
  }

  /** One line, e.g. "fedadam (server_learning_rate 0.1, beta1 0.9, beta2 0.99, tau 1.0E-9)". */
  static String describe(StrategySettings validated) {
    ObjectNode node = toJson(validated);
    node.remove("name");
    String parameters =
        node.properties().stream()
            .map(field -> field.getKey() + " " + field.getValue())
            .collect(Collectors.joining(", "));
    return validated.name() + (parameters.isEmpty() ? "" : " (" + parameters + ")");
  }

  /** The coordinator's spellings (trimmed-mean, multi-krum), not the enum constants' names. */
  static final class NameConverter implements ITypeConverter<StrategyName> {
    @Override
    public StrategyName convert(String value) {
      return StrategyName.fromSpelling(value)
          .orElseThrow(
              () ->
                  new TypeConversionException(
                      "'"
                          + value
                          + "' is not a strategy; choose one of "
                          + String.join(", ", new Spellings())));
    }
  }

  static final class Spellings implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Arrays.stream(StrategyName.values()).map(StrategyName::spelling).iterator();
    }
  }
}
