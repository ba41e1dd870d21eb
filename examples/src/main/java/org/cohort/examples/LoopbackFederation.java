package org.cohort.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * the real protocol over mutual TLS 1.3, with secure aggregation from 3 sites on. Every site must
 * contribute to every round.
 */
final class LoopbackFederation {

  static final String FEDERATION_ID = "simulation";
  private static final double ROUND_DEADLINE_SECONDS = 120;
  private static final int MAX_FRAME_BYTES = 4 * 1024 * 1024;
  private static final int CHUNK_ELEMENTS = 262_144;
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

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
    // Written and loaded like an operator's coordinator.yaml, so sections added later keep their defaults.
    ObjectNode yaml = YAML.createObjectNode().put("federation_id", FEDERATION_ID);
    yaml.putObject("listen").put("host", "127.0.0.1").put("port", 0);
    KitFiles serverKit = coordinatorKit.files();
    yaml.putObject("kit").put("certificate", serverKit.tlsCertificate().toString())
        .put("private_key", serverKit.tlsPrivateKey().toString())
        .put("ca_certificate", serverKit.caCertificate().toString())
        .put("revocation_list", serverKit.revocationList().toString());
    ObjectNode allowed = yaml.putObject("sites");
    siteIds.forEach(allowed.putArray("allowed")::add);
    allowed.put("min_per_round", siteIds.size());
    yaml.putObject("rounds").put("count", rounds).put("deadline_seconds", ROUND_DEADLINE_SECONDS);
    ObjectNode modelNode = yaml.putObject("model").put("kind", model.getKind())
        .put("input_features", model.getInputFeatures());
    model.getHiddenSizesList().forEach(modelNode.putArray("hidden_sizes")::add);
    modelNode.put("seed", modelSeed);
    yaml.putObject("training").put("epochs", settings.getEpochs()).put("batch_size", settings.getBatchSize())
        .put("learning_rate", settings.getLearningRate())
        .put("optimizer", settings.getOptimizer() == Optimizer.OPTIMIZER_ADAM ? "adam" : "sgd")
        .put("seed", settings.getSeed());
    yaml.putObject("checkpoint").put("directory", "checkpoints");
    yaml.putObject("transport").put("max_frame_bytes", MAX_FRAME_BYTES).put("chunk_elements", CHUNK_ELEMENTS);
    if (!secureAggregation(sites.size())) {
      yaml.putObject("secure_aggregation").put("enabled", false);
    }
    CoordinatorConfig config = CoordinatorConfig.load(write(workDirectory.resolve("coordinator.yaml"), yaml));

    List<SiteAgent> agents = new ArrayList<>();
    try (Coordinator coordinator = Coordinator.start(config)) {
      coordinator.addListener(progress);
      try {
        for (int i = 0; i < sites.size(); i++) {
          StartupKit kit = ca.issue(new ParticipantIdentity(siteIds.get(i), Role.SITE),
              workDirectory.resolve("kits").resolve(siteIds.get(i)), List.of());
          ObjectNode siteYaml = YAML.createObjectNode().put("site_id", siteIds.get(i));
          siteYaml.putObject("coordinator").put("host", "localhost").put("port", coordinator.port());
          siteYaml.putObject("kit").put("certificate", KitFiles.TLS_CERTIFICATE)
              .put("private_key", KitFiles.TLS_PRIVATE_KEY).put("ca_certificate", KitFiles.CA_CERTIFICATE);
          // The trainer is handed to the agent directly; this section only documents where the rows came from.
          siteYaml.putObject("data").put("source", "in-process").put("site", sites.get(i).name());
          siteYaml.putObject("reconnect").put("initial_delay_ms", 50).put("max_delay_ms", 1_000);
          SiteConfig siteConfig = SiteConfig.load(write(kit.directory().resolve("site.yaml"), siteYaml));
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

  private static Path write(Path file, ObjectNode yaml) {
    try {
      YAML.writeValue(file.toFile(), yaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
