package org.cohort.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.training.LocalTrainer;

/**
 * A consortium on loopback for integration tests: a real CA, startup kits, config files written
 * as YAML and loaded by the real loaders, a coordinator on an ephemeral port and site agents.
 */
final class TestFederation implements AutoCloseable {

  static final String FEDERATION = "it-federation";
  static final int MAX_FRAME_BYTES = 4096;
  /** The synthetic cohort's input features (TrainerFactory {source: synthetic}). */
  static final int FEATURES = SyntheticCohort.FEATURE_COUNT;

  private final Path root;
  private final ConsortiumCa ca;
  private final Map<String, StartupKit> kits = new LinkedHashMap<>();
  private final List<Runnable> closers = new ArrayList<>();
  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  /**
   * Settings a test varies; everything else is fixed and small. {@code secureAggregation} is the
   * config's secure_aggregation section, or null to leave it out (secure aggregation on, defaults).
   */
  record Settings(List<String> allowedSites, int minPerRound, int rounds, double deadlineSeconds, int features,
                  Map<String, Object> secureAggregation) {
    Settings(List<String> allowedSites, int minPerRound, int rounds, double deadlineSeconds) {
      this(allowedSites, minPerRound, rounds, deadlineSeconds, FEATURES, null);
    }

    Settings(List<String> allowedSites, int minPerRound, int rounds, double deadlineSeconds, int features) {
      this(allowedSites, minPerRound, rounds, deadlineSeconds, features, null);
    }

    /** Plain FedAvg: secure_aggregation.enabled false. */
    Settings plain() {
      return withSecureAggregation(Map.of("enabled", false));
    }

    Settings withSecureAggregation(Map<String, Object> section) {
      return new Settings(allowedSites, minPerRound, rounds, deadlineSeconds, features, section);
    }
  }

  TestFederation(Path root) {
    this.root = root;
    this.ca = ConsortiumCa.create(root.resolve("ca"), "it-consortium");
    kits.put("coordinator", ca.issue(new ParticipantIdentity("coordinator", Role.COORDINATOR),
        root.resolve("kits/coordinator"), List.of()));
  }

  ConsortiumCa ca() {
    return ca;
  }

  Path root() {
    return root;
  }

  StartupKit kit(String participant, Role role) {
    return kits.computeIfAbsent(participant,
        id -> ca.issue(new ParticipantIdentity(id, role), root.resolve("kits/" + id), List.of()));
  }

  StartupKit siteKit(String site) {
    return kit(site, Role.SITE);
  }

  Path writeCoordinatorConfig(String name, Settings settings) {
    return writeCoordinatorConfig(name, settings, 0);
  }

  Path writeCoordinatorConfig(String name, Settings settings, int listenPort) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("federation_id", FEDERATION);
    config.put("listen", Map.of("host", "127.0.0.1", "port", listenPort));
    config.put("metrics", Map.of("host", "127.0.0.1", "port", 0));
    config.put("kit", Map.of("certificate", "kits/coordinator/tls-cert.pem", "private_key", "kits/coordinator/tls-key.pem",
        "ca_certificate", "kits/coordinator/ca.pem", "revocation_list", "ca/crl.pem"));
    config.put("sites", Map.of("allowed", settings.allowedSites(), "min_per_round", settings.minPerRound()));
    config.put("rounds", Map.of("count", settings.rounds(), "deadline_seconds", settings.deadlineSeconds()));
    config.put("model", Map.of("kind", "logreg", "input_features", settings.features(), "hidden_sizes", List.of(), "seed", 42));
    config.put("training", Map.of("epochs", 2, "batch_size", 16, "learning_rate", 0.1, "optimizer", "sgd", "seed", 7));
    config.put("checkpoint", Map.of("directory", "checkpoints"));
    // 5 elements per chunk: a model travels in several chunks each way.
    config.put("transport", Map.of("max_frame_bytes", MAX_FRAME_BYTES, "chunk_elements", 5,
        "heartbeat_interval_ms", 200, "idle_timeout_ms", 3000));
    // One staging buffer: concurrent uploads must wait for it (autoRead backpressure) in every test.
    config.put("aggregation", Map.of("staging_buffers", 1));
    if (settings.secureAggregation() != null) {
      config.put("secure_aggregation", settings.secureAggregation());
    }
    return write(name, config);
  }

  Coordinator startCoordinator(String configName, Settings settings) {
    return startCoordinator(configName, settings, 0);
  }

  Coordinator startCoordinator(String configName, Settings settings, int listenPort) {
    Coordinator coordinator = Coordinator.start(
        CoordinatorConfig.load(writeCoordinatorConfig(configName, settings, listenPort)));
    closers.add(coordinator::close);
    return coordinator;
  }

  SiteConfig siteConfig(String site, int coordinatorPort, int initialReconnectMs) {
    return SiteConfig.load(writeSiteConfig(site, coordinatorPort, initialReconnectMs));
  }

  /** A site.yaml whose data section is a small synthetic hospital, as the site CLI reads it. */
  Path writeSiteConfig(String site, int coordinatorPort, int initialReconnectMs) {
    siteKit(site);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("site_id", site);
    config.put("coordinator", Map.of("host", "127.0.0.1", "port", coordinatorPort));
    config.put("kit", Map.of("certificate", "kits/" + site + "/tls-cert.pem", "private_key", "kits/" + site + "/tls-key.pem",
        "ca_certificate", "kits/" + site + "/ca.pem"));
    config.put("data", Map.of("source", "synthetic", "hospital", Math.floorMod(site.hashCode(), 3), "seed", 1, "rows", 200));
    config.put("reconnect", Map.of("initial_delay_ms", initialReconnectMs, "max_delay_ms", Math.max(initialReconnectMs, 500)));
    return write(site + ".yaml", config);
  }

  SiteAgent startSite(String site, int coordinatorPort, LocalTrainer trainer) {
    return startSite(site, coordinatorPort, trainer, UnaryOperator.identity());
  }

  SiteAgent startSite(String site, int coordinatorPort, LocalTrainer trainer, UnaryOperator<SiteAgent.Builder> options) {
    return startSite(site, coordinatorPort, trainer, options, 50);
  }

  SiteAgent startSite(String site, int coordinatorPort, LocalTrainer trainer, UnaryOperator<SiteAgent.Builder> options,
      int initialReconnectMs) {
    SiteAgent agent = options.apply(SiteAgent.builder(siteConfig(site, coordinatorPort, initialReconnectMs), trainer)).build();
    closers.add(agent::close);
    return agent.start();
  }

  private Path write(String name, Map<String, Object> config) {
    try {
      Path file = root.resolve(name);
      yaml.writeValue(file.toFile(), config);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).run();
    }
  }
}
