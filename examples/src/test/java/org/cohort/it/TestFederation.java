package org.cohort.it;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.config.CoordinatorConfig.SecureAggregation;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.data.SyntheticCohort;
import org.cohort.site.round.AggregationPolicy;
import org.cohort.site.training.LocalTrainer;

/**
 * A consortium on loopback for integration tests: a real CA, startup kits, config files written as
 * YAML and loaded by the real loaders, a coordinator on an ephemeral port and site agents.
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

  /** The last coordinator config written runs plain rounds: sites are written to allow them. */
  private boolean plainRounds;

  /**
   * The policy section written into site configs from now on (empty: none), instead of the one that
   * fits the rounds; null for that one.
   */
  private Optional<SiteConfig.Policy> sitePolicy;

  /**
   * Settings a test varies; everything else is fixed and small. {@code secureAggregation} is the
   * config's secure_aggregation section, or null to leave it out (secure aggregation on, defaults).
   */
  record Settings(
      List<String> allowedSites,
      int minPerRound,
      int rounds,
      double deadlineSeconds,
      int features,
      SecureAggregation secureAggregation,
      StrategySettings strategy,
      CoordinatorConfig.Aggregation aggregation,
      CoordinatorConfig.Privacy privacy) {
    Settings(List<String> allowedSites, int minPerRound, int rounds, double deadlineSeconds) {
      this(allowedSites, minPerRound, rounds, deadlineSeconds, FEATURES, null, null, null, null);
    }

    Settings(
        List<String> allowedSites,
        int minPerRound,
        int rounds,
        double deadlineSeconds,
        int features) {
      this(allowedSites, minPerRound, rounds, deadlineSeconds, features, null, null, null, null);
    }

    /** Plain FedAvg: secure_aggregation.enabled false. */
    Settings plain() {
      return withSecureAggregation(SecureAggregation.DISABLED);
    }

    Settings withSecureAggregation(SecureAggregation section) {
      return new Settings(
          allowedSites,
          minPerRound,
          rounds,
          deadlineSeconds,
          features,
          section,
          strategy,
          aggregation,
          privacy);
    }

    Settings withStrategy(StrategySettings section) {
      return new Settings(
          allowedSites,
          minPerRound,
          rounds,
          deadlineSeconds,
          features,
          secureAggregation,
          section,
          aggregation,
          privacy);
    }

    /** The aggregation section; staging_buffers is always 1 (see writeCoordinatorConfig). */
    Settings withContributionBounds(long maxWeight, double maxUpdateNorm) {
      return new Settings(
          allowedSites,
          minPerRound,
          rounds,
          deadlineSeconds,
          features,
          secureAggregation,
          strategy,
          new CoordinatorConfig.Aggregation(1, maxWeight, maxUpdateNorm),
          privacy);
    }

    Settings withPrivacy(CoordinatorConfig.Privacy section) {
      return new Settings(
          allowedSites,
          minPerRound,
          rounds,
          deadlineSeconds,
          features,
          secureAggregation,
          strategy,
          aggregation,
          section);
    }
  }

  /**
   * secure_aggregation: {graph, degree, threshold, clip}, the other keys left to their defaults.
   */
  static SecureAggregation secureAggregation(
      String graph, Integer degree, Integer threshold, double clip) {
    return new SecureAggregation(
        null, graph, degree, threshold, null, null, clip, null, null, null);
  }

  TestFederation(Path root) {
    this.root = root;
    this.ca = ConsortiumCa.create(root.resolve("ca"), "it-consortium");
    kits.put(
        "coordinator",
        ca.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            root.resolve("kits/coordinator"),
            List.of("localhost", "127.0.0.1")));
  }

  ConsortiumCa ca() {
    return ca;
  }

  Path root() {
    return root;
  }

  StartupKit kit(String participant, Role role) {
    return kits.computeIfAbsent(
        participant,
        id -> ca.issue(new ParticipantIdentity(id, role), root.resolve("kits/" + id), List.of()));
  }

  StartupKit siteKit(String site) {
    return kit(site, Role.SITE);
  }

  Path writeCoordinatorConfig(String name, Settings settings) {
    return writeCoordinatorConfig(name, settings, 0);
  }

  Path writeCoordinatorConfig(String name, Settings settings, int listenPort) {
    CoordinatorConfig config =
        new CoordinatorConfig(
            FEDERATION,
            new CoordinatorConfig.Endpoint("127.0.0.1", listenPort),
            new CoordinatorConfig.Endpoint("127.0.0.1", 0),
            CoordinatorConfig.Kit.of(
                kits.get("coordinator").files().withRevocationList(ca.revocationListFile())),
            new CoordinatorConfig.Sites(settings.allowedSites(), settings.minPerRound()),
            new CoordinatorConfig.Rounds(settings.rounds(), settings.deadlineSeconds()),
            new CoordinatorConfig.Model("logreg", settings.features(), List.of(), 42),
            new CoordinatorConfig.Training(2, 16, 0.1, "sgd"),
            new CoordinatorConfig.Checkpoint(root.resolve("checkpoints")),
            // 5 elements per chunk: a model travels in several chunks each way.
            new CoordinatorConfig.Transport(MAX_FRAME_BYTES, 5, 200, 3000),
            // One staging buffer: concurrent uploads must wait for it (autoRead backpressure) in
            // every test.
            settings.aggregation() != null
                ? settings.aggregation()
                : new CoordinatorConfig.Aggregation(1, null, null),
            settings.secureAggregation(),
            settings.strategy(),
            settings.privacy());
    plainRounds = !config.secureAggregationEnabled();
    Path file = root.resolve(name);
    config.write(file);
    return file;
  }

  Coordinator startCoordinator(String configName, Settings settings) {
    return startCoordinator(configName, settings, 0);
  }

  Coordinator startCoordinator(String configName, Settings settings, int listenPort) {
    Coordinator coordinator =
        Coordinator.start(
            CoordinatorConfig.load(writeCoordinatorConfig(configName, settings, listenPort)));
    closers.add(coordinator::close);
    return coordinator;
  }

  /**
   * Site configs written from now on carry {@code policy} (empty: no policy section, as an
   * unmodified site's), until {@link #automaticSitePolicy}.
   */
  void sitePolicy(Optional<SiteConfig.Policy> policy) {
    this.sitePolicy = policy;
  }

  /** Site configs allow plain rounds exactly when the last coordinator config runs them. */
  void automaticSitePolicy() {
    this.sitePolicy = null;
  }

  SiteConfig siteConfig(String site, int coordinatorPort, int initialReconnectMs) {
    return SiteConfig.load(writeSiteConfig(site, coordinatorPort, initialReconnectMs));
  }

  /**
   * A site.yaml in the site's kit, its data section a small synthetic hospital, as the site CLI
   * reads it.
   */
  Path writeSiteConfig(String site, int coordinatorPort, int initialReconnectMs) {
    Path kit = siteKit(site).directory();
    Path file = kit.resolve("site.yaml");
    SiteConfig.starter(
            site,
            new SiteConfig.Endpoint("127.0.0.1", coordinatorPort),
            kit,
            JsonNodeFactory.instance
                .objectNode()
                .put("source", "synthetic")
                .put("hospital", Math.floorMod(site.hashCode(), 3))
                .put("seed", 1)
                .put("rows", 200))
        .withReconnect(
            new SiteConfig.Reconnect(initialReconnectMs, Math.max(initialReconnectMs, 500)))
        // A site refuses plain aggregation unless its own config allows it.
        .withPolicy(
            sitePolicy != null
                ? sitePolicy.orElse(null)
                : plainRounds ? new SiteConfig.Policy(AggregationPolicy.PLAIN_ALLOWED) : null)
        .write(file);
    return file;
  }

  SiteAgent startSite(String site, int coordinatorPort, LocalTrainer trainer) {
    return startSite(site, coordinatorPort, trainer, UnaryOperator.identity());
  }

  SiteAgent startSite(
      String site,
      int coordinatorPort,
      LocalTrainer trainer,
      UnaryOperator<SiteAgent.Builder> options) {
    return startSite(site, coordinatorPort, trainer, options, 50);
  }

  SiteAgent startSite(
      String site,
      int coordinatorPort,
      LocalTrainer trainer,
      UnaryOperator<SiteAgent.Builder> options,
      int initialReconnectMs) {
    SiteAgent agent =
        options
            .apply(
                SiteAgent.builder(siteConfig(site, coordinatorPort, initialReconnectMs), trainer))
            .build();
    closers.add(agent::close);
    return agent.start();
  }

  @Override
  public void close() {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).run();
    }
  }
}
