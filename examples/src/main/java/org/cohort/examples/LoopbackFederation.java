package org.cohort.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.training.DatasetTrainer;

/**
 * A whole federation in one JVM over real loopback sockets: a freshly created consortium CA, one
 * startup kit per participant, a {@link Coordinator} and one {@link SiteAgent} per site, talking
 * the real protocol over mutual TLS 1.3, with secure aggregation from 3 sites on. Every site must
 * contribute to every round.
 */
final class LoopbackFederation {

  static final String FEDERATION_ID = "simulation";
  private static final double ROUND_DEADLINE_SECONDS = 120;

  private LoopbackFederation() {}

  /**
   * Runs {@code rounds} rounds and returns the final global model.
   *
   * @param workDirectory an empty directory for the CA, kits and checkpoints
   */
  static float[] run(Path workDirectory, List<SiteData> sites, ModelSpec model, TrainingSettings settings,
      int rounds, long modelSeed, RoundListener progress) throws InterruptedException {
    ConsortiumCa ca = ConsortiumCa.create(workDirectory.resolve("ca"), "Cohort simulation");
    StartupKit coordinatorKit = ca.issue(new ParticipantIdentity("coordinator", Role.COORDINATOR),
        workDirectory.resolve("kits/coordinator"), List.of("localhost"));
    List<String> siteIds = new ArrayList<>();
    for (int i = 0; i < sites.size(); i++) {
      siteIds.add("site-" + (i + 1));
    }
    // Written and loaded like an operator's coordinator.yaml, so it is checked the same way.
    Path configFile = coordinatorKit.directory().resolve("coordinator.yaml");
    CoordinatorConfig.starter(FEDERATION_ID, coordinatorKit.directory(), siteIds, model.getInputFeatures())
        .withListen(new CoordinatorConfig.Endpoint("127.0.0.1", 0))
        .withMetrics(null)
        .withSites(new CoordinatorConfig.Sites(siteIds, siteIds.size()))
        .withRounds(new CoordinatorConfig.Rounds(rounds, ROUND_DEADLINE_SECONDS))
        .withModel(new CoordinatorConfig.Model(model.getKind(), model.getInputFeatures(), model.getHiddenSizesList(),
            modelSeed))
        .withTraining(CoordinatorConfig.Training.of(settings))
        // null keeps the default: on.
        .withSecureAggregation(secureAggregation(sites.size()) ? null : CoordinatorConfig.SecureAggregation.DISABLED)
        .write(configFile);
    CoordinatorConfig config = CoordinatorConfig.load(configFile);

    List<SiteAgent> agents = new ArrayList<>();
    try (Coordinator coordinator = Coordinator.start(config)) {
      coordinator.addListener(progress);
      try {
        for (int i = 0; i < sites.size(); i++) {
          StartupKit kit = ca.issue(new ParticipantIdentity(siteIds.get(i), Role.SITE),
              workDirectory.resolve("kits").resolve(siteIds.get(i)), List.of());
          // The trainer is handed to the agent directly; data only documents where the rows came from.
          Path siteConfigFile = kit.directory().resolve("site.yaml");
          SiteConfig.starter(siteIds.get(i), new SiteConfig.Endpoint("localhost", coordinator.port()), kit.directory(),
                  JsonNodeFactory.instance.objectNode().put("source", "in-process").put("site", sites.get(i).name()))
              .withReconnect(new SiteConfig.Reconnect(50, 1_000))
              .write(siteConfigFile);
          SiteConfig siteConfig = SiteConfig.load(siteConfigFile);
          agents.add(SiteAgent.builder(siteConfig, new DatasetTrainer(sites.get(i).split())).build().start());
        }
        coordinator.finished().get(rounds * (long) ROUND_DEADLINE_SECONDS + 60, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("the federation did not finish: " + e.getMessage(), e);
      } finally {
        agents.forEach(SiteAgent::close);
      }
      return coordinator.globalModel().parameters();
    }
  }

  /**
   * Secure aggregation (the coordinator's default) needs at least 3 sites: with 2, each could
   * compute the other's update from the sum, so the coordinator refuses it and the simulation
   * runs without it.
   */
  static boolean secureAggregation(int sites) {
    return sites >= 3;
  }
}
