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
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.training.DatasetTrainer;

/**
 * A whole federation in one JVM over real loopback sockets: a freshly created consortium CA, one
 * startup kit per participant, a {@link Coordinator} and one {@link SiteAgent} per site, talking
 * the real protocol over mutual TLS 1.3. Every site must contribute to every round.
 */
final class LoopbackFederation {

  static final String FEDERATION_ID = "simulation";
  private static final double ROUND_DEADLINE_SECONDS = 120;
  private static final int MAX_FRAME_BYTES = 4 * 1024 * 1024;
  private static final int CHUNK_ELEMENTS = 262_144;

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
    CoordinatorConfig config = new CoordinatorConfig(
        FEDERATION_ID,
        new CoordinatorConfig.Endpoint("127.0.0.1", 0),
        null,
        serverKit(coordinatorKit.files()),
        new CoordinatorConfig.Sites(siteIds, siteIds.size()),
        new CoordinatorConfig.Rounds(rounds, ROUND_DEADLINE_SECONDS),
        new CoordinatorConfig.Model(model.getKind(), model.getInputFeatures(), model.getHiddenSizesList(), modelSeed),
        new CoordinatorConfig.Training(settings.getEpochs(), settings.getBatchSize(), settings.getLearningRate(),
            settings.getOptimizer() == Optimizer.OPTIMIZER_ADAM ? "adam" : "sgd", settings.getSeed()),
        new CoordinatorConfig.Checkpoint(workDirectory.resolve("checkpoints")),
        new CoordinatorConfig.Transport(MAX_FRAME_BYTES, CHUNK_ELEMENTS, null, null),
        null).validated();

    List<SiteAgent> agents = new ArrayList<>();
    try (Coordinator coordinator = Coordinator.start(config)) {
      coordinator.addListener(progress);
      try {
        for (int i = 0; i < sites.size(); i++) {
          StartupKit kit = ca.issue(new ParticipantIdentity(siteIds.get(i), Role.SITE),
              workDirectory.resolve("kits").resolve(siteIds.get(i)), List.of());
          SiteConfig siteConfig = new SiteConfig(siteIds.get(i),
              new SiteConfig.Endpoint("127.0.0.1", coordinator.port()),
              clientKit(kit.files()),
              // The trainer is handed over directly; the data section is only documentation here.
              JsonNodeFactory.instance.objectNode().put("source", "in-process").put("site", sites.get(i).name()),
              new SiteConfig.Reconnect(50, 1_000),
              kit.directory()).validated();
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

  private static CoordinatorConfig.Kit serverKit(KitFiles files) {
    return new CoordinatorConfig.Kit(files.tlsCertificate(), files.tlsPrivateKey(), files.caCertificate(),
        files.revocationList());
  }

  private static SiteConfig.Kit clientKit(KitFiles files) {
    return new SiteConfig.Kit(files.tlsCertificate(), files.tlsPrivateKey(), files.caCertificate(), null);
  }
}
