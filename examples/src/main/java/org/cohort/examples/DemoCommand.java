package org.cohort.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.cohort.coordinator.CheckpointStore;
import org.cohort.coordinator.EvaluationTable;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.privacy.FederationPrivacy;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.data.SyntheticCohort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code cohort demo}: a consortium of simulated hospitals end to end, each participant a separate
 * OS process talking mutual TLS, then the federated model against each hospital alone and all data
 * pooled.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    version = CohortCli.VERSION,
    header =
        "One command, a consortium of simulated hospitals end to end (separate processes, mutual TLS).",
    description = {
      "Provisions a consortium (CA and startup kits) in the work directory, starts the coordinator and one site "
          + "agent per hospital of the built-in synthetic readmission cohort as separate processes over mutual "
          + "TLS, prints a line per round, and ends with the coordinator's cross-site evaluation of the final "
          + "model (each hospital scores it on its own held-out patients) and the federated model against each "
          + "hospital training alone and all data pooled centrally, on held-out patients of every hospital.",
      "Secure aggregation is on, except for a robust --strategy (median, trimmed-mean, krum, multi-krum), which "
          + "needs each site's own update: then it is off, with a warning.",
      "Differential privacy (--dp) is distributed by default (the patient as the unit, epsilon "
          + DpOptions.DEFAULT_EPSILON
          + " over "
          + DemoCommand.DEFAULT_PRIVATE_ROUNDS
          + " rounds, each one DP-SGD step of the whole consortium at sampling rate "
          + DemoCommand.DEFAULT_SAMPLING_RATE
          + " and learning rate "
          + DemoCommand.DEFAULT_PRIVATE_LEARNING_RATE
          + "); off with a robust --strategy, which runs without secure aggregation. The references train "
          + "without privacy. Each hospital's own account of the epsilon it spent is read from its log.",
      "Writes report.json, training-curve.png, rounds.jsonl and logs/ to the work directory. Exits 1 unless "
          + "the federated AUROC is within "
          + DemoCommand.PRIVATE_MARGIN_TO_POOLED
          + " of the pooled one (with differential privacy) or, without it, >= 99%% of the pooled one and "
          + "above every hospital alone; it prints which criterion applied."
    })
public final class DemoCommand implements Callable<Integer> {

  /** Marks a directory this command created, so it never wipes anything else. */
  static final String MARKER_FILE = ".cohort-demo";

  private static final Duration STALL_LIMIT =
      Duration.ofSeconds(DemoConsortium.ROUND_DEADLINE_SECONDS + 60);

  @Spec CommandSpec spec;

  @Option(
      names = "--work-dir",
      defaultValue = "demo-work",
      paramLabel = "DIR",
      description =
          "Wiped and recreated (only if empty or made by an earlier demo) (default: ${DEFAULT-VALUE}).")
  Path workDir;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      description =
          "(default: "
              + DEFAULT_ROUNDS
              + "; with differential privacy, where a round is one DP-SGD step, "
              + DEFAULT_PRIVATE_ROUNDS
              + ")")
  Integer roundsOption;

  /** The rounds this run makes. */
  private int rounds;

  @Option(
      names = "--hospitals",
      paramLabel = "N",
      description = "4 or 5 hospitals of the synthetic cohort, largest first (default: all 5).")
  Integer hospitals;

  @Option(
      names = "--model",
      defaultValue = "logreg",
      paramLabel = "KIND",
      description = "logreg or mlp (default: ${DEFAULT-VALUE}).")
  ModelKind model;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "S",
      description =
          "Seeds the synthetic patients, model initialisation and training order (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin StrategyOptions strategy;

  @Mixin DpOptions dp;

  static final int DEFAULT_ROUNDS = 20;
  static final int DEFAULT_PRIVATE_ROUNDS = 50;
  static final double DEFAULT_SAMPLING_RATE = 0.5;
  static final double DEFAULT_PRIVATE_LEARNING_RATE = 1.0;

  /**
   * With differential privacy the federated model must come within this many AUROC points (as a
   * fraction) of the non-private pooled model; beating every hospital alone is not asked, since
   * they train without any privacy.
   */
  static final double PRIVATE_MARGIN_TO_POOLED = 0.02;

  /** What the coordinator calibrated, empty without differential privacy. */
  private Optional<FederationPrivacy> calibrated = Optional.empty();

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    DemoConsortium.Plan plan = plan();
    PrintWriter out = spec.commandLine().getOut();
    prepareWorkDirectory();
    DemoConsortium.Layout layout = DemoConsortium.create(workDir.resolve("pki"), plan);
    out.printf(
        Locale.ROOT,
        "Provisioned consortium CA and startup kits for the coordinator and %d hospitals in %s%n",
        plan.hospitals().size(),
        layout.pki());
    out.println("Strategy: " + StrategyOptions.describe(plan.strategy()));
    out.println(
        calibrated
            .map(
                p ->
                    DpOptions.describe(
                        plan.privacy(), p, plan.rounds(), plan.training().getLearningRate()))
            .orElse(
                "Differential privacy: off"
                    + (dp.mode == null
                        ? " (it needs secure aggregation; --dp central or local without)"
                        : "")));
    if (!plan.secureAggregation()) {
      out.println(strategy.secureAggregationWarning());
      out.println(
          "The demo hospitals' site.yaml allow it (policy.aggregation.plain: allow); a site's"
              + " default is to refuse plain aggregation.");
    }

    ModelSpec modelSpec = plan.model().spec(SyntheticCohort.FEATURE_COUNT);
    List<SiteData> sites = hospitals(plan);
    // The references do not depend on the federation: train them while it runs.
    CompletableFuture<Baselines> baselines =
        CompletableFuture.supplyAsync(
            () ->
                Baselines.train(
                    modelSpec,
                    trainingSettings(plan.model(), plan.seed()),
                    referenceEpochs(plan),
                    plan.seed(),
                    sites));

    Path report = workDir.resolve("rounds.jsonl");
    RoundReportTail reportTail = new RoundReportTail(report);
    List<RoundRecord> history = new ArrayList<>();
    try (ChildProcesses processes = new ChildProcesses()) {
      ChildProcesses.Child coordinator =
          processes.start(
              "coordinator",
              workDir.resolve("logs/coordinator.log"),
              List.of(
                  "coordinator",
                  "--config",
                  layout.coordinatorConfig().toString(),
                  "--report",
                  report.toString()));
      List<ChildProcesses.Child> siteAgents = new ArrayList<>();
      for (int i = 0; i < plan.hospitals().size(); i++) {
        String site = plan.siteIds().get(i);
        siteAgents.add(
            processes.start(
                site,
                workDir.resolve("logs").resolve(site + ".log"),
                List.of("site", "--config", layout.siteConfigs().get(i).toString())));
      }
      out.printf(
          Locale.ROOT,
          "Started the coordinator (port %d, metrics http://127.0.0.1:%d/metrics) and %d site "
              + "agents as separate processes; logs in %s%n",
          layout.port(),
          layout.metricsPort(),
          siteAgents.size(),
          workDir.resolve("logs"));
      out.printf(
          Locale.ROOT,
          "Training %s for %d rounds (eval = sites' weighted held-out figures for the model "
              + "sent out in that round)%n",
          plan.model().configName(),
          plan.rounds());
      out.flush();
      follow(out, reportTail, coordinator, siteAgents, history);
      int exit = coordinator.process().exitValue();
      if (exit != 0) {
        throw new DemoFailure(
            "the coordinator exited with status " + exit + "; see " + coordinator.log());
      }
      for (ChildProcesses.Child site : siteAgents) {
        if (!site.process().waitFor(30, TimeUnit.SECONDS) || site.process().exitValue() != 0) {
          out.println(
              "warning: site agent " + site.name() + " did not finish cleanly; see " + site.log());
        }
      }
    }

    CheckpointStore.Checkpoint finalModel =
        CheckpointStore.read(layout.checkpoint(), ModelLayout.of(modelSpec).totalElements());
    Comparison comparison =
        baselines
            .join()
            .compareWith(
                "federated ("
                    + finalModel.completedRounds()
                    + " rounds"
                    + (plan.privacy() != null ? ", " + plan.privacy().mode() + " DP" : "")
                    + ")",
                finalModel.model());
    List<Optional<PrivacySpent>> spentBySite =
        plan.siteIds().stream()
            .map(site -> SiteLogPrivacy.lastSpent(workDir.resolve("logs").resolve(site + ".log")))
            .toList();
    double seconds = (System.nanoTime() - started) / 1e9;
    Optional<EvaluationTable> evaluation =
        reportTail
            .evaluation()
            .map(table -> CrossSiteReport.inSiteOrder(table, plan.siteIds(), plan.siteIds()));
    out.println();
    out.print(
        evaluation
            .map(CrossSiteReport::table)
            .orElse(
                "The coordinator's round report "
                    + report
                    + " holds no cross-site evaluation."
                    + System.lineSeparator()));
    if (calibrated.isPresent()) {
      out.println();
      out.print(DpOptions.spentTable(plan.siteIds(), spentBySite));
    }
    out.println();
    out.print(comparison.table());
    out.println();
    out.println(comparison.verdict());
    boolean worthwhile =
        calibrated.isPresent()
            ? comparison.withinMarginOfPooled(PRIVATE_MARGIN_TO_POOLED)
            : comparison.nearlyMatchesPooled() && comparison.beatsEverySiteAlone();
    String criterion =
        calibrated.isPresent()
            ? String.format(
                Locale.ROOT,
                "with differential privacy, federated AUROC within %.2f of the non-private pooled"
                    + " model's (%.4f vs %.4f)",
                PRIVATE_MARGIN_TO_POOLED,
                comparison.federated().auroc(),
                comparison.pooled().auroc())
            : String.format(
                Locale.ROOT,
                "federated AUROC >= %.0f%% of pooled and above every hospital alone",
                100 * Comparison.TARGET_SHARE_OF_POOLED);
    writeReport(plan, history, evaluation, comparison, seconds, spentBySite, criterion, worthwhile);
    TrainingCurvePlot.writePng(
        workDir.resolve("training-curve.png"),
        "Cohort demo: " + plan.hospitals().size() + " hospitals, " + plan.model().configName(),
        history);
    out.printf(
        Locale.ROOT,
        "Wrote %s and %s; demo took %.1f s%n",
        workDir.resolve("report.json"),
        workDir.resolve("training-curve.png"),
        seconds);
    out.println("Criterion: " + criterion);
    out.println(
        worthwhile
            ? "DEMO PASSED: the federated model meets the criterion."
            : "DEMO FAILED: the federated model misses the criterion (see above).");
    out.flush();
    return worthwhile ? 0 : 1;
  }

  private DemoConsortium.Plan plan() {
    int all = SyntheticCohort.DEFAULT_HOSPITALS.size();
    int count = hospitals == null ? all : hospitals;
    if (count < 4 || count > all) {
      throw new ParameterException(spec.commandLine(), "--hospitals must be between 4 and " + all);
    }
    if (roundsOption != null && roundsOption < 1) {
      throw new ParameterException(spec.commandLine(), "--rounds must be >= 1");
    }
    // Checked here, as the coordinator will check it, so a refused strategy never touches the disk.
    boolean secureAggregation = !strategy.name.robust();
    StrategySettings validated = strategy.settings().validated(secureAggregation, count);
    DpOptions.Mode mode = dp.resolvedMode(secureAggregation);
    dp.contradiction(mode)
        .ifPresent(
            message -> {
              throw new ParameterException(spec.commandLine(), message);
            });
    boolean isPrivate = mode != DpOptions.Mode.OFF;
    rounds =
        roundsOption != null ? roundsOption : isPrivate ? DEFAULT_PRIVATE_ROUNDS : DEFAULT_ROUNDS;
    List<SyntheticCohort.HospitalProfile> profiles =
        SyntheticCohort.DEFAULT_HOSPITALS.subList(0, count);
    TrainingSettings training = trainingSettings(model, seed);
    CoordinatorConfig.Privacy privacy = null;
    if (isPrivate) {
      long trainingRows =
          SyntheticCohort.generate(profiles, seed).hospitals().stream()
              .mapToLong(h -> h.split().train().rows())
              .sum();
      privacy = dp.section(mode, dp.samplingRateOr(DEFAULT_SAMPLING_RATE), trainingRows);
      training =
          training.toBuilder()
              .setLearningRate(dp.learningRateOr(DEFAULT_PRIVATE_LEARNING_RATE))
              .build();
    }
    DemoConsortium.Plan plan =
        new DemoConsortium.Plan(
            profiles, seed, rounds, model, training, validated, secureAggregation, privacy);
    // Validated and calibrated here as the coordinator will, so an unworkable privacy setting is
    // its one-line error before anything touches the disk.
    calibrated =
        FederationPrivacy.of(
            DemoConsortium.edited(
                    CoordinatorConfig.starter(
                        DemoConsortium.FEDERATION_ID,
                        Path.of("unused"),
                        plan.siteIds(),
                        SyntheticCohort.FEATURE_COUNT),
                    plan)
                .validated());
    return plan;
  }

  /**
   * The references train without privacy at the usual settings, for as many expected passes over
   * every row as the federation made.
   */
  private int referenceEpochs(DemoConsortium.Plan plan) {
    CoordinatorConfig.Privacy privacy = plan.privacy();
    if (privacy == null) {
      return plan.rounds() * plan.training().getEpochs();
    }
    int stepsPerRound = "local".equals(privacy.mode()) ? privacy.localStepsOrDefault() : 1;
    return (int) Math.max(1, Math.round(plan.rounds() * privacy.samplingRate() * stepsPerRound));
  }

  /** Per-round local training: one epoch of plain SGD. */
  static TrainingSettings trainingSettings(ModelKind model, long seed) {
    TrainingSettings.Builder settings =
        TrainingSettings.newBuilder()
            .setEpochs(1)
            .setOptimizer(Optimizer.OPTIMIZER_SGD)
            .setSeed(seed);
    return switch (model) {
      case LOGREG -> settings.setBatchSize(256).setLearningRate(0.5).build();
      case MLP -> settings.setBatchSize(64).setLearningRate(0.3).build();
    };
  }

  private static List<SiteData> hospitals(DemoConsortium.Plan plan) {
    // The same rows each site agent generates from its config (hospital index and seed).
    return SyntheticCohort.generate(plan.hospitals(), plan.seed()).hospitals().stream()
        .map(h -> new SiteData(h.profile().name(), h.split()))
        .toList();
  }

  private void follow(
      PrintWriter out,
      RoundReportTail report,
      ChildProcesses.Child coordinator,
      List<ChildProcesses.Child> siteAgents,
      List<RoundRecord> history)
      throws InterruptedException {
    long lastProgress = System.nanoTime();
    while (true) {
      List<RoundRecord> finished = report.poll();
      for (RoundRecord round : finished) {
        history.add(round);
        out.println(round.progressLine(rounds));
      }
      out.flush();
      if (!finished.isEmpty()) {
        lastProgress = System.nanoTime();
      }
      if (coordinator.process().waitFor(200, TimeUnit.MILLISECONDS)) {
        report
            .poll()
            .forEach(
                round -> {
                  history.add(round);
                  out.println(round.progressLine(rounds));
                });
        return;
      }
      for (ChildProcesses.Child site : siteAgents) {
        if (!site.process().isAlive() && site.process().exitValue() != 0) {
          throw new DemoFailure(
              "site agent "
                  + site.name()
                  + " exited with status "
                  + site.process().exitValue()
                  + "; see "
                  + site.log());
        }
      }
      if (System.nanoTime() - lastProgress > STALL_LIMIT.toNanos()) {
        throw new DemoFailure(
            "no round finished for "
                + STALL_LIMIT.toSeconds()
                + " s; see the logs in "
                + coordinator.log().getParent());
      }
    }
  }

  private void writeReport(
      DemoConsortium.Plan plan,
      List<RoundRecord> history,
      Optional<EvaluationTable> evaluation,
      Comparison comparison,
      double seconds,
      List<Optional<PrivacySpent>> spentBySite,
      String criterion,
      boolean passed) {
    ObjectNode document = Json.MAPPER.createObjectNode();
    ObjectNode settings = document.putObject("demo");
    settings
        .put("hospitals", plan.hospitals().size())
        .put("rounds", plan.rounds())
        .put("model", plan.model().configName())
        .put("seed", plan.seed())
        .put("local_epochs_per_round", plan.training().getEpochs())
        .put("batch_size", plan.training().getBatchSize())
        .put("learning_rate", plan.training().getLearningRate())
        .put("wall_time_seconds", seconds);
    settings.set("strategy", StrategyOptions.toJson(plan.strategy()));
    settings.put("secure_aggregation", plan.secureAggregation());
    settings.set(
        "privacy",
        calibrated
            .<JsonNode>map(
                p ->
                    DpOptions.toJson(
                        plan.privacy(),
                        p,
                        plan.rounds(),
                        plan.training().getLearningRate(),
                        plan.siteIds(),
                        spentBySite))
            .orElse(DpOptions.offJson()));
    ArrayNode rounds = document.putArray("round_history");
    history.forEach(round -> rounds.add(round.toJson()));
    document.set(CrossSiteReport.KEY, evaluation.map(CrossSiteReport::toJson).orElse(null));
    document.set("comparison", comparison.toJson());
    document.putObject("verdict").put("criterion", criterion).put("passed", passed);
    Json.write(workDir.resolve("report.json"), document);
  }

  /** Wipes the work directory only if it is empty or an earlier demo's. */
  private void prepareWorkDirectory() throws IOException {
    if (Files.exists(workDir)) {
      boolean empty;
      try (Stream<Path> entries = Files.list(workDir)) {
        empty = entries.findAny().isEmpty();
      }
      if (!empty && !Files.exists(workDir.resolve(MARKER_FILE))) {
        throw new InvalidInputException(
            "--work-dir "
                + workDir
                + " is not empty and was not made by the demo; "
                + "choose another directory");
      }
      try (Stream<Path> paths = Files.walk(workDir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    Files.createDirectories(workDir);
    Files.writeString(
        workDir.resolve(MARKER_FILE), "created by `cohort demo`; wiped by the next run\n");
  }

  /** The demo could not run to the end; the message says where to look. */
  static final class DemoFailure extends RuntimeException {
    DemoFailure(String message) {
      super(message);
    }
  }
}
