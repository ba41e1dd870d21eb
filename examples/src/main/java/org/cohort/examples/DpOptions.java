package org.cohort.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.privacy.FederationPrivacy;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.round.RoundPrivacy;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * Differential privacy as command-line options of simulate and demo. They only fill the coordinator
 * config's {@code privacy} section (plus the private step's learning rate); its calibration ({@link
 * FederationPrivacy#of}) is what checks them, so its one-line error is what an unworkable
 * combination prints.
 */
final class DpOptions {

  /** Where the noise is added; {@code off} trains without differential privacy. */
  enum Mode {
    OFF,
    DISTRIBUTED,
    CENTRAL,
    LOCAL;

    String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The config's spellings: off, distributed, central, local. */
  static final class ModeConverter implements ITypeConverter<Mode> {
    @Override
    public Mode convert(String value) {
      for (Mode mode : Mode.values()) {
        if (mode.configName().equalsIgnoreCase(value)) {
          return mode;
        }
      }
      throw new TypeConversionException(
          "'" + value + "' is not a privacy mode; choose one of off, distributed, central, local");
    }
  }

  static final double DEFAULT_EPSILON = 3;
  static final double DEFAULT_CLIP = 1;

  @Option(
      names = "--dp",
      paramLabel = "MODE",
      converter = ModeConverter.class,
      description =
          "Differential privacy, the patient as the unit: off, distributed (each site noises its share "
              + "under secure aggregation), central (the coordinator adds the noise) or local (every site "
              + "runs DP-SGD alone). Default: distributed when secure aggregation is on, off when it is "
              + "off (fewer than 3 sites, a robust --strategy or --secure-aggregation off). Each private "
              + "round is one DP-SGD step of the whole federation (local: --local-steps at each site).")
  Mode mode;

  @Option(
      names = "--epsilon",
      paramLabel = "E",
      description =
          "Privacy target over all the run's rounds; the noise is calibrated to it before round 1 "
              + "(default: "
              + DEFAULT_EPSILON
              + ", unless --noise-multiplier).")
  Double epsilon;

  @Option(
      names = "--noise-multiplier",
      paramLabel = "Z",
      description = "Instead of --epsilon: the noise standard deviation over the clip norm.")
  Double noiseMultiplier;

  @Option(
      names = "--delta",
      paramLabel = "D",
      description = "(default: " + CoordinatorConfig.Privacy.DEFAULT_DELTA + ")")
  Double delta;

  @Option(
      names = "--clip",
      paramLabel = "C",
      description = "L2 bound of each patient's gradient (default: " + DEFAULT_CLIP + ").")
  Double clip;

  @Option(
      names = "--sampling-rate",
      paramLabel = "Q",
      description =
          "Each site includes each patient in a round's step with probability Q; the step's divisor "
              + "is B = Q x all sites' training rows (default: the command's, printed).")
  Double samplingRate;

  @Option(
      names = "--dp-learning-rate",
      paramLabel = "RATE",
      description =
          "Learning rate of the private steps (default: the command's, printed); the references "
              + "alone and pooled train without privacy at the command's usual settings.")
  Double learningRate;

  @Option(
      names = "--bits",
      paramLabel = "B",
      description =
          "distributed: the secure sum is over integers mod 2^B (default: "
              + CoordinatorConfig.Privacy.DEFAULT_BITS
              + ").")
  Integer bits;

  @Option(
      names = "--local-steps",
      paramLabel = "N",
      description =
          "local: DP-SGD steps per round at each site (default: "
              + CoordinatorConfig.Privacy.DEFAULT_LOCAL_STEPS
              + ").")
  Integer localSteps;

  /**
   * The mode this run uses: distributed rides on secure aggregation, so without it the default is
   * off.
   */
  Mode resolvedMode(boolean secureAggregation) {
    return mode != null ? mode : secureAggregation ? Mode.DISTRIBUTED : Mode.OFF;
  }

  /**
   * The options that only make sense for some modes, checked here so a forgotten --dp never runs a
   * different experiment than the one asked for.
   *
   * @return the first contradiction, empty if none
   */
  Optional<String> contradiction(Mode resolved) {
    if (resolved == Mode.OFF) {
      List<String> given = privateOnlyOptionsGiven();
      return given.isEmpty()
          ? Optional.empty()
          : Optional.of(
              String.join(", ", given)
                  + " only apply with differential privacy, which is off"
                  + (mode == null ? " (no secure aggregation); give --dp central or local" : ""));
    }
    if (epsilon != null && noiseMultiplier != null) {
      return Optional.of("--epsilon and --noise-multiplier both set the noise; give one");
    }
    if (bits != null && resolved != Mode.DISTRIBUTED) {
      return Optional.of("--bits only applies to --dp distributed");
    }
    if (localSteps != null && resolved != Mode.LOCAL) {
      return Optional.of("--local-steps only applies to --dp local");
    }
    if (learningRate != null && !(learningRate > 0 && Double.isFinite(learningRate))) {
      return Optional.of("--dp-learning-rate must be positive");
    }
    return Optional.empty();
  }

  private List<String> privateOnlyOptionsGiven() {
    List<String> given = new ArrayList<>();
    addIfSet(given, "--epsilon", epsilon);
    addIfSet(given, "--noise-multiplier", noiseMultiplier);
    addIfSet(given, "--delta", delta);
    addIfSet(given, "--clip", clip);
    addIfSet(given, "--sampling-rate", samplingRate);
    addIfSet(given, "--dp-learning-rate", learningRate);
    addIfSet(given, "--bits", bits);
    addIfSet(given, "--local-steps", localSteps);
    return given;
  }

  private static void addIfSet(List<String> given, String name, Object value) {
    if (value != null) {
      given.add(name);
    }
  }

  double learningRateOr(double commandDefault) {
    return learningRate != null ? learningRate : commandDefault;
  }

  double samplingRateOr(double commandDefault) {
    return samplingRate != null ? samplingRate : commandDefault;
  }

  /**
   * The coordinator's privacy section for a private {@code resolved} mode.
   *
   * @param trainingRows every site's training rows together: B = q times them
   */
  CoordinatorConfig.Privacy section(Mode resolved, double q, long trainingRows) {
    return new CoordinatorConfig.Privacy(
        resolved.configName(),
        "patient",
        noiseMultiplier == null ? (epsilon != null ? epsilon : DEFAULT_EPSILON) : null,
        noiseMultiplier,
        delta,
        clip != null ? clip : DEFAULT_CLIP,
        q,
        q * trainingRows,
        null,
        bits,
        null,
        localSteps);
  }

  /** One line on what the coordinator calibrated. */
  static String describe(
      CoordinatorConfig.Privacy section, FederationPrivacy calibrated, int rounds, double lr) {
    RoundPrivacy planned = calibrated.planned();
    PrivacySpent spent = calibrated.spentAfter(rounds);
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "Differential privacy: %s, the patient as the unit; epsilon %.3f at delta %.3g over"
                    + " %d rounds (%s) -> noise multiplier %.4f; clip %s, sampling rate %s,"
                    + " B = q x %d training rows = %.1f; private step learning rate %s",
                section.mode(),
                spent.epsilon(),
                calibrated.delta(),
                rounds,
                section.epsilon() != null ? "target " + section.epsilon() : "from the noise",
                planned.noiseMultiplier(),
                planned.clipNorm(),
                planned.samplingRate(),
                Math.round(planned.expectedBatchSize() / planned.samplingRate()),
                planned.expectedBatchSize(),
                lr));
    if (planned.distributed() != null) {
      line.append(", secure sum mod 2^").append(planned.distributed().bits());
    }
    if (planned.mode() == RoundPrivacy.Mode.LOCAL) {
      line.append(", ").append(planned.localSteps()).append(" DP-SGD steps per round at each site");
    }
    return line.toString();
  }

  /** The JSON block {mode, epsilon, delta, noise_multiplier, sampling_rate, rounds, ...}. */
  static ObjectNode toJson(
      CoordinatorConfig.Privacy section,
      FederationPrivacy calibrated,
      int rounds,
      double learningRate,
      List<String> sites,
      List<Optional<PrivacySpent>> spentBySite) {
    RoundPrivacy planned = calibrated.planned();
    ObjectNode node =
        JsonNodeFactory.instance
            .objectNode()
            .put("mode", section.mode())
            .put("epsilon", calibrated.spentAfter(rounds).epsilon())
            .put("delta", calibrated.delta())
            .put("noise_multiplier", planned.noiseMultiplier())
            .put("sampling_rate", planned.samplingRate())
            .put("rounds", rounds)
            .put("clip", planned.clipNorm())
            .put("expected_batch_size", planned.expectedBatchSize())
            .put("learning_rate", learningRate);
    if (section.epsilon() != null) {
      node.put("target_epsilon", section.epsilon());
    }
    if (planned.distributed() != null) {
      node.put("bits", planned.distributed().bits());
    }
    if (planned.mode() == RoundPrivacy.Mode.LOCAL) {
      node.put("local_steps", planned.localSteps());
    }
    ArrayNode spentNode = node.putArray("spent_by_site");
    for (int i = 0; i < sites.size(); i++) {
      ObjectNode site = spentNode.addObject().put("site", sites.get(i));
      Optional<PrivacySpent> spent = spentBySite.get(i);
      if (spent.isPresent()) {
        site.put("epsilon", spent.get().epsilon()).put("delta", spent.get().delta());
      } else {
        site.putNull("epsilon");
      }
    }
    return node;
  }

  /** The JSON block of a run without differential privacy. */
  static ObjectNode offJson() {
    return JsonNodeFactory.instance.objectNode().put("mode", Mode.OFF.configName());
  }

  /** Each site's own account, one line each. */
  static String spentTable(List<String> sites, List<Optional<PrivacySpent>> spentBySite) {
    TextTable table = new TextTable("site", "epsilon spent", "delta");
    for (int i = 0; i < sites.size(); i++) {
      Optional<PrivacySpent> spent = spentBySite.get(i);
      table.row(
          sites.get(i),
          spent.map(s -> String.format(Locale.ROOT, "%.4f", s.epsilon())).orElse("unknown"),
          spent.map(s -> String.format(Locale.ROOT, "%.3g", s.delta())).orElse(""));
    }
    return "Privacy spent, from each site's own accounting of what it released:"
        + System.lineSeparator()
        + System.lineSeparator()
        + table;
  }
}
