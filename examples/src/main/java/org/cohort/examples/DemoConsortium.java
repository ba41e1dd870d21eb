package org.cohort.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cohort.coordinator.CheckpointStore;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.provisioning.ProvisionCommand;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.round.AggregationPolicy;

/**
 * The demo consortium on disk: provisioned with the real {@code provision init} (CA, one startup
 * kit per participant, starter configs), then the starter configs edited as an operator would: free
 * loopback ports, the round plan, the model, training settings and server strategy, and each
 * hospital's synthetic data.
 */
final class DemoConsortium {

  static final String FEDERATION_ID = "cohort-demo";

  /** Generous for rounds that take well under a second, so a slow machine never abandons one. */
  static final int ROUND_DEADLINE_SECONDS = 60;

  /** Where everything is. */
  record Layout(
      Path pki,
      Path coordinatorConfig,
      List<Path> siteConfigs,
      Path checkpoint,
      int port,
      int metricsPort) {}

  /**
   * What the federation trains.
   *
   * @param strategy the coordinator's strategy settings, validated for these hospitals
   * @param secureAggregation false only for a robust strategy, which needs each site's own update
   * @param training the federation's training settings (with privacy, the private step's)
   * @param privacy the coordinator's privacy section, null without differential privacy
   */
  record Plan(
      List<SyntheticCohort.HospitalProfile> hospitals,
      long seed,
      int rounds,
      ModelKind model,
      TrainingSettings training,
      StrategySettings strategy,
      boolean secureAggregation,
      CoordinatorConfig.Privacy privacy) {

    List<String> siteIds() {
      return hospitals.stream().map(SyntheticCohort.HospitalProfile::name).toList();
    }
  }

  private DemoConsortium() {}

  static Layout create(Path pki, Plan plan) {
    int port = freePort();
    int metricsPort = freePort();
    StringWriter provisionOutput = new StringWriter();
    int exit =
        ProvisionCommand.run(
            new PrintWriter(provisionOutput),
            new PrintWriter(provisionOutput),
            "init",
            "--out",
            pki.toString(),
            "--consortium",
            "Cohort Demo Consortium",
            "--federation-id",
            FEDERATION_ID,
            "--coordinator-host",
            "localhost",
            "--coordinator-port",
            Integer.toString(port),
            "--sites",
            String.join(",", plan.siteIds()));
    if (exit != 0) {
      throw new IllegalStateException("provisioning failed: " + provisionOutput.toString().strip());
    }
    Path kits = pki.resolve("kits");
    Path coordinatorConfig = kits.resolve("coordinator/coordinator.yaml");
    CoordinatorConfig starter = CoordinatorConfig.load(coordinatorConfig);
    edited(starter, plan)
        .withListen(new CoordinatorConfig.Endpoint("127.0.0.1", port))
        .withMetrics(new CoordinatorConfig.Endpoint("127.0.0.1", metricsPort))
        .write(coordinatorConfig);
    List<Path> siteConfigs = new ArrayList<>();
    for (int index = 0; index < plan.hospitals().size(); index++) {
      Path siteConfig = kits.resolve(plan.siteIds().get(index)).resolve("site.yaml");
      SiteConfig.load(siteConfig)
          .withData(
              JsonNodeFactory.instance
                  .objectNode()
                  .put("source", "synthetic")
                  .put("hospital", index)
                  .put("seed", plan.seed()))
          // The coordinator JVM may start after this one: retry quickly at first.
          .withReconnect(new SiteConfig.Reconnect(250, 2000))
          // A site refuses plain aggregation unless its own config allows it.
          .withPolicy(
              plan.secureAggregation()
                  ? null
                  : new SiteConfig.Policy(AggregationPolicy.PLAIN_ALLOWED))
          .write(siteConfig);
      siteConfigs.add(siteConfig);
    }
    return new Layout(
        pki,
        coordinatorConfig,
        siteConfigs,
        starter.checkpoint().directory().resolve(CheckpointStore.FILE_NAME),
        port,
        metricsPort);
  }

  /**
   * The operator's edits of a starter coordinator config for {@code plan}: the round plan, model,
   * training, strategy, secure aggregation and privacy (not the endpoints).
   */
  static CoordinatorConfig edited(CoordinatorConfig starter, Plan plan) {
    return starter
        // Every hospital in every round, so the federated model has seen all of them from round 1.
        .withSites(new CoordinatorConfig.Sites(starter.sites().allowed(), plan.hospitals().size()))
        .withRounds(new CoordinatorConfig.Rounds(plan.rounds(), ROUND_DEADLINE_SECONDS))
        .withModel(
            new CoordinatorConfig.Model(
                plan.model().configName(),
                SyntheticCohort.FEATURE_COUNT,
                plan.model().hiddenSizes(),
                plan.seed()))
        .withTraining(CoordinatorConfig.Training.of(plan.training()))
        .withStrategy(plan.strategy())
        .withSecureAggregation(
            plan.secureAggregation()
                ? starter.secureAggregation()
                : CoordinatorConfig.SecureAggregation.DISABLED)
        .withPrivacy(plan.privacy());
  }

  private static int freePort() {
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free local port", e);
    }
  }
}
