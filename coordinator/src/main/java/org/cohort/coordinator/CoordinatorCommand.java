package org.cohort.coordinator;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.coordinator.config.CoordinatorConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coordinator --config coordinator.yaml}: runs a federation until its rounds are done. */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description =
        "Runs the Cohort coordinator: accepts sites over mutual TLS and aggregates their updates.")
public final class CoordinatorCommand implements Callable<Integer> {

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "coordinator.yaml")
  Path config;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description =
          "Append one JSON line per finished round to FILE (round, status, contributions, examples, "
              + "sites' weighted eval loss/accuracy/AUROC, duration).")
  Path report;

  @Override
  public Integer call() throws Exception {
    CoordinatorConfig parsed;
    try {
      parsed = CoordinatorConfig.load(config);
    } catch (ConfigException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    Coordinator started;
    try {
      // Start also calibrates the privacy section: an unattainable target is a config error.
      started = Coordinator.start(parsed);
    } catch (ConfigException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    try (RoundReportWriter reportWriter = report == null ? null : new RoundReportWriter(report);
        Coordinator coordinator = started) {
      if (reportWriter != null) {
        coordinator.addListener(reportWriter);
      }
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              System.out.println(summary.progressLine());
            }
          });
      System.out.println("coordinator listening on port " + coordinator.port());
      long completed = coordinator.finished().get();
      System.out.println("federation finished after " + completed + " rounds");
      return 0;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new CoordinatorCommand()).execute(args));
  }
}
