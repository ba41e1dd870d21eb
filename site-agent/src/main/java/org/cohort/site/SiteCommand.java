package org.cohort.site;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.training.LocalTrainer;
import org.cohort.site.training.TrainerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code site --config site.yaml}: runs a hospital's site agent until the federation finishes. */
@Command(
    name = "site",
    mixinStandardHelpOptions = true,
    description =
        "Runs a Cohort site agent: dials out to the coordinator and trains on local data.")
public final class SiteCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "site.yaml")
  Path config;

  @Override
  public Integer call() {
    SiteConfig parsed;
    try {
      parsed = SiteConfig.load(config);
    } catch (IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    LocalTrainer trainer = TrainerFactory.fromConfig(parsed.data(), parsed.configDirectory());
    try (SiteAgent agent = SiteAgent.builder(parsed, trainer).build().start()) {
      agent.finished().join();
      System.out.println(
          parsed.siteId() + ": federation finished after " + agent.updatesSent() + " updates");
      return 0;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SiteCommand()).execute(args));
  }
}
