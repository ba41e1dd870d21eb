package org.cohort.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.privacy.FederationPrivacy;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code cohort simulate}: a real federation over any CSV file with a site column, then the
 * federated model against each site alone and all rows pooled.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    version = CohortCli.VERSION,
    header =
        "A real federation over any CSV file with a site column; federated vs each site vs pooled.",
    description = {
      "Runs a real federation over a CSV file with a site column: one site agent per distinct site value and a "
          + "coordinator in this JVM, talking the real protocol over loopback mutual TLS with a freshly provisioned "
          + "CA (in a temporary directory). Then prints the coordinator's cross-site evaluation of the final model "
          + "(each site scores it on its own held-out rows) and compares, on the held-out rows of every site, the "
          + "federated model with each site training alone and with all training rows pooled centrally.",
      "Features are every column except the site, label and split columns; numeric cells may be missing (empty "
          + "or the --missing-value token). The label must be 0 or 1.",
      "Secure aggregation is on from 3 sites. A robust --strategy (median, trimmed-mean, krum, multi-krum) needs "
          + "each site's own update, so it turns secure aggregation off, with a warning; with "
          + "--secure-aggregation on it is refused.",
      "Differential privacy (--dp) is distributed by default whenever secure aggregation is on, and off "
          + "when it is off (--dp central or local still work without it). Each private round is one DP-SGD "
          + "step over all sites at --dp-learning-rate (default "
          + SimulateCommand.DEFAULT_PRIVATE_LEARNING_RATE
          + ", sampling rate "
          + SimulateCommand.DEFAULT_SAMPLING_RATE
          + ", "
          + SimulateCommand.DEFAULT_PRIVATE_ROUNDS
          + " rounds); the references alone and pooled train without privacy at --learning-rate. The run "
          + "ends with the epsilon each site's own accounting says its patients spent."
    })
public final class SimulateCommand implements Callable<Integer> {

  static final double DEFAULT_HOLDOUT = 0.3;
  static final int DEFAULT_ROUNDS = 50;
  static final int DEFAULT_PRIVATE_ROUNDS = 100;
  static final double DEFAULT_SAMPLING_RATE = 0.5;
  static final double DEFAULT_PRIVATE_LEARNING_RATE = 1.0;

  /** An explicit --secure-aggregation choice. */
  enum OnOff {
    ON,
    OFF
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "FILE.csv",
      description = "CSV file with a header line (RFC 4180).")
  Path data;

  @Option(
      names = "--site-column",
      defaultValue = "site",
      paramLabel = "COL",
      description =
          "Column naming each row's site (default: ${DEFAULT-VALUE}). Needs >= 2 distinct values.")
  String siteColumn;

  @Option(
      names = "--label-column",
      defaultValue = "label",
      paramLabel = "COL",
      description = "Binary outcome column, 0 or 1 (default: ${DEFAULT-VALUE}).")
  String labelColumn;

  @Option(
      names = "--categorical",
      split = ",",
      paramLabel = "COL",
      description =
          "Comma-separated feature columns to one-hot encode; their vocabularies are the whole file's "
              + "distinct values. Other feature columns must be numeric.")
  List<String> categorical = new ArrayList<>();

  @Option(
      names = "--missing-value",
      defaultValue = "?",
      paramLabel = "TOKEN",
      description =
          "Cell text meaning 'missing' besides the empty cell (default: ${DEFAULT-VALUE}).")
  String missingValue;

  @Option(
      names = "--model",
      defaultValue = "logreg",
      paramLabel = "KIND",
      description =
          "logreg or mlp (one hidden layer of "
              + ModelKind.MLP_HIDDEN_UNITS
              + " ReLU units) "
              + "(default: ${DEFAULT-VALUE}).")
  ModelKind model;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      description =
          "Federated rounds; the references train for as many passes over the rows as the federation "
              + "made: rounds x epochs, or with --dp rounds x sampling rate (x local steps) (default: "
              + DEFAULT_ROUNDS
              + ", with --dp "
              + DEFAULT_PRIVATE_ROUNDS
              + ").")
  Integer roundsOption;

  int rounds;

  @Option(
      names = "--epochs",
      defaultValue = "1",
      paramLabel = "N",
      description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--batch-size",
      defaultValue = "32",
      paramLabel = "N",
      description = "(default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--learning-rate",
      defaultValue = "0.1",
      paramLabel = "RATE",
      description =
          "SGD learning rate of the local training (without --dp) and of the references "
              + "(default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(
      names = "--holdout",
      paramLabel = "FRACTION",
      description =
          "Share of each site's rows held out, stratified by label and seeded, for the test set "
              + "(default: "
              + DEFAULT_HOLDOUT
              + ").")
  Double holdout;

  @Option(
      names = "--split-column",
      paramLabel = "COL",
      description =
          "Use this column's split instead of drawing one: each row is exactly 'train' or 'test', and "
              + "every site needs both. Not a feature. Also prints every model on each site's own test rows.")
  String splitColumn;

  @Option(
      names = "--standardize",
      defaultValue = "global",
      paramLabel = "HOW",
      description =
          "global: rescale with every site's training statistics merged; site: each site with its own "
              + "(default: ${DEFAULT-VALUE}).")
  CsvCohort.Standardization standardization;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "S",
      description =
          "Seeds the held-out split, model initialisation and training order, so runs repeat "
              + "(default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin StrategyOptions strategy;

  @Mixin DpOptions dp;

  @Option(
      names = "--secure-aggregation",
      paramLabel = "on|off",
      description =
          "Mask the sites' updates so the coordinator sees only their sum (default: on from 3 sites, "
              + "off for a robust --strategy).")
  OnOff secureAggregation;

  @Option(
      names = "--json",
      paramLabel = "OUT",
      description =
          "Also write the tables, the cross-site evaluation and the rounds as JSON to OUT.")
  Path json;

  @Override
  public Integer call() throws Exception {
    validateOptions();
    PrintWriter out = spec.commandLine().getOut();
    CsvCohort.SplitRule split =
        splitColumn != null
            ? new CsvCohort.SplitRule.Column(splitColumn)
            : new CsvCohort.SplitRule.Holdout(holdout != null ? holdout : DEFAULT_HOLDOUT);
    CsvCohort.Loaded cohort =
        CsvCohort.load(
            new CsvCohort.Request(
                data,
                siteColumn,
                labelColumn,
                List.copyOf(categorical),
                missingValue,
                split,
                seed,
                standardization));
    ModelSpec modelSpec = model.spec(cohort.featureCount());
    TrainingSettings settings =
        TrainingSettings.newBuilder()
            .setEpochs(epochs)
            .setBatchSize(batchSize)
            .setLearningRate(learningRate)
            .setOptimizer(Optimizer.OPTIMIZER_SGD)
            .setSeed(seed)
            .build();
    boolean secure =
        secureAggregation != null
            ? secureAggregation == OnOff.ON
            : LoopbackFederation.secureAggregationPossible(cohort.sites().size())
                && !strategy.name.robust();
    DpOptions.Mode dpMode = dp.resolvedMode(secure);
    dp.contradiction(dpMode).ifPresent(this::usageError);
    boolean isPrivate = dpMode != DpOptions.Mode.OFF;
    rounds =
        roundsOption != null ? roundsOption : isPrivate ? DEFAULT_PRIVATE_ROUNDS : DEFAULT_ROUNDS;
    long trainingRows = cohort.sites().stream().mapToLong(s -> s.split().train().rows()).sum();
    double samplingRate = dp.samplingRateOr(DEFAULT_SAMPLING_RATE);
    CoordinatorConfig.Privacy privacy =
        isPrivate ? dp.section(dpMode, samplingRate, trainingRows) : null;
    double privateLearningRate = dp.learningRateOr(DEFAULT_PRIVATE_LEARNING_RATE);
    TrainingSettings federationSettings =
        isPrivate ? settings.toBuilder().setLearningRate(privateLearningRate).build() : settings;
    // The same expected passes over every row as the federation made, without privacy.
    int referenceEpochs =
        isPrivate
            ? (int)
                Math.max(
                    1,
                    Math.round(
                        rounds
                            * samplingRate
                            * (dpMode == DpOptions.Mode.LOCAL ? privacy.localStepsOrDefault() : 1)))
            : rounds * epochs;

    Path workDirectory = Files.createTempDirectory("cohort-simulate-");
    LoopbackFederation.Result result;
    List<RoundRecord> history = new ArrayList<>();
    StrategySettings strategySettings;
    Optional<FederationPrivacy> calibrated;
    try {
      LoopbackFederation federation =
          LoopbackFederation.configure(
              workDirectory,
              cohort.sites(),
              modelSpec,
              federationSettings,
              rounds,
              seed,
              strategy.settings(),
              secure,
              privacy);
      strategySettings = federation.strategy();
      calibrated = federation.privacy();
      printPlan(out, cohort, split, strategySettings, secure);
      calibrated.ifPresent(
          p -> out.println(DpOptions.describe(privacy, p, rounds, privateLearningRate)));
      if (!isPrivate) {
        out.println(
            "Differential privacy: off"
                + (dp.mode == null
                    ? " (it needs secure aggregation; --dp central or local without)"
                    : ""));
      }
      out.flush();
      result =
          federation.run(
              new RoundListener() {
                @Override
                public void roundFinished(RoundSummary summary) {
                  RoundRecord record = RoundRecord.of(summary);
                  history.add(record);
                  out.println(record.progressLine(rounds));
                  out.flush();
                }
              });
    } finally {
      deleteRecursively(workDirectory);
    }
    List<String> siteNames = cohort.sites().stream().map(SiteData::name).toList();
    out.println();
    out.print(CrossSiteReport.table(result.evaluation()));
    if (isPrivate) {
      out.println();
      out.print(DpOptions.spentTable(siteNames, result.spentBySite()));
    }
    Comparison comparison =
        Baselines.train(
                modelSpec,
                settings.toBuilder().setEpochs(1).build(),
                referenceEpochs,
                seed,
                cohort.sites())
            .compareWith(
                "federated ("
                    + rounds
                    + " rounds"
                    + (isPrivate ? ", " + dpMode.configName() + " DP" : "")
                    + ")",
                result.parameters());
    out.println();
    out.print(comparison.table());
    if (split instanceof CsvCohort.SplitRule.Column) {
      out.println();
      out.print(comparison.perSiteTable());
    }
    out.println();
    out.println(comparison.verdict());
    if (json != null) {
      ObjectNode document = Json.MAPPER.createObjectNode();
      document
          .put("data", data.toString())
          .put("model", model.configName())
          .put("rounds", rounds)
          .put("seed", seed)
          .put("standardize", standardization.name().toLowerCase(Locale.ROOT));
      document.set("split", split.toJson());
      document.set("strategy", StrategyOptions.toJson(strategySettings));
      document.put("secure_aggregation", secure);
      document.set(
          "privacy",
          calibrated
              .<JsonNode>map(
                  p ->
                      DpOptions.toJson(
                          privacy, p, rounds, privateLearningRate, siteNames, result.spentBySite()))
              .orElse(DpOptions.offJson()));
      ArrayNode sitesNode = document.putArray("sites");
      for (SiteData site : cohort.sites()) {
        sitesNode
            .addObject()
            .put("site", site.name())
            .put("training_rows", site.split().train().rows())
            .put("test_rows", site.split().holdout().rows());
      }
      ArrayNode roundsNode = document.putArray("round_history");
      history.forEach(r -> roundsNode.add(r.toJson()));
      document.set(CrossSiteReport.KEY, CrossSiteReport.toJson(result.evaluation()));
      document.set("comparison", comparison.toJson());
      Json.write(json, document);
      out.println("wrote " + json);
    }
    return 0;
  }

  private void usageError(String message) {
    throw new ParameterException(spec.commandLine(), message);
  }

  private void printPlan(
      PrintWriter out,
      CsvCohort.Loaded cohort,
      CsvCohort.SplitRule split,
      StrategySettings strategySettings,
      boolean secure) {
    out.printf(
        Locale.ROOT,
        "%s: %d sites, %d feature columns (%d model inputs), %s, %d rounds, strategy %s%n",
        data,
        cohort.sites().size(),
        cohort.featureColumns().size(),
        cohort.featureCount(),
        model.configName(),
        rounds,
        StrategyOptions.describe(strategySettings));
    out.println("Held-out (test) rows: " + split.describe(seed));
    for (SiteData site : cohort.sites()) {
      out.printf(
          Locale.ROOT,
          "  site %-20s %5d training rows, %5d held out, %.0f%% label 1%n",
          "'" + site.name() + "'",
          site.split().train().rows(),
          site.split().holdout().rows(),
          100.0 * positiveShare(site));
    }
    if (secure) {
      out.println(
          "Secure aggregation: on (the coordinator only ever sees the sum of the sites' masked updates)");
    } else if (secureAggregation == OnOff.OFF) {
      out.println("Secure aggregation: off (--secure-aggregation off)");
    } else if (strategy.name.robust()) {
      out.println(strategy.secureAggregationWarning());
    } else {
      out.println(
          "Secure aggregation: off (it needs at least 3 sites; with 2, each could compute the other's update)");
    }
    out.flush();
  }

  private void validateOptions() {
    if ((roundsOption != null && roundsOption < 1) || epochs < 1 || batchSize < 1) {
      throw new ParameterException(
          spec.commandLine(), "--rounds, --epochs and --batch-size must be >= 1");
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new ParameterException(spec.commandLine(), "--learning-rate must be positive");
    }
    if (holdout != null && splitColumn != null) {
      throw new ParameterException(
          spec.commandLine(),
          "--holdout draws a split and --split-column gives one; " + "use one of them");
    }
    if (holdout != null && !(holdout > 0 && holdout < 1)) {
      throw new ParameterException(
          spec.commandLine(), "--holdout must be strictly between 0 and 1");
    }
  }

  private static double positiveShare(SiteData site) {
    long rows = site.split().train().rows() + site.split().holdout().rows();
    return (double) (site.split().train().positives() + site.split().holdout().positives()) / rows;
  }

  private static void deleteRecursively(Path directory) {
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + directory, e);
    }
  }
}
