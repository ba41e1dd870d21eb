package org.cohort.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.EvaluationTable;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.privacy.FederationPrivacy;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.round.AggregationPolicy;
import org.cohort.site.training.DatasetTrainer;

/**
 * A whole federation in one JVM over real loopback sockets: a freshly created consortium CA, one
 * startup kit per participant, a {@link Coordinator} and one {@link SiteAgent} per site, talking
 * the real protocol over mutual TLS 1.3. Every site must contribute to every round. The
 * coordinator's config is written and loaded as an operator's coordinator.yaml is, when the
 * federation is {@linkplain #configure configured}, so a refused setting (e.g. a robust strategy
 * with secure aggregation) is reported before anything runs.
 */
final class LoopbackFederation {

  static final String FEDERATION_ID = "simulation";
  private static final double ROUND_DEADLINE_SECONDS = 120;

  /**
   * The final global model and the coordinator's cross-site evaluation of it, under the sites' own
   * names.
   */
  record Result(
      float[] parameters, EvaluationTable evaluation, List<Optional<PrivacySpent>> spentBySite) {}

  private final Path workDirectory;
  private final ConsortiumCa ca;
  private final List<SiteData> sites;
  private final List<String> siteIds;
  private final CoordinatorConfig config;
  private final long trainingSeed;

  private LoopbackFederation(
      Path workDirectory,
      ConsortiumCa ca,
      List<SiteData> sites,
      List<String> siteIds,
      CoordinatorConfig config,
      long trainingSeed) {
    this.workDirectory = workDirectory;
    this.ca = ca;
    this.sites = List.copyOf(sites);
    this.siteIds = List.copyOf(siteIds);
    this.config = config;
    this.trainingSeed = trainingSeed;
  }

  /**
   * Creates the CA and the coordinator's kit and config for {@code rounds} rounds over {@code
   * sites}.
   *
   * @param workDirectory an empty directory for the CA, kits and checkpoints
   * @throws org.cohort.coordinator.config.ConfigException if the coordinator refuses the settings
   */
  static LoopbackFederation configure(
      Path workDirectory,
      List<SiteData> sites,
      ModelSpec model,
      TrainingSettings settings,
      int rounds,
      long modelSeed,
      StrategySettings strategy,
      boolean secureAggregation,
      CoordinatorConfig.Privacy privacy) {
    ConsortiumCa ca = ConsortiumCa.create(workDirectory.resolve("ca"), "Cohort simulation");
    StartupKit coordinatorKit =
        ca.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            workDirectory.resolve("kits/coordinator"),
            List.of("localhost"));
    // Site values of a CSV file need not be valid participant ids; the sites are numbered instead.
    List<String> siteIds = new ArrayList<>();
    for (int i = 0; i < sites.size(); i++) {
      siteIds.add("site-" + (i + 1));
    }
    Path configFile = coordinatorKit.directory().resolve("coordinator.yaml");
    CoordinatorConfig.starter(
            FEDERATION_ID, coordinatorKit.directory(), siteIds, model.getInputFeatures())
        .withListen(new CoordinatorConfig.Endpoint("127.0.0.1", 0))
        .withMetrics(null)
        .withSites(new CoordinatorConfig.Sites(siteIds, siteIds.size()))
        .withRounds(new CoordinatorConfig.Rounds(rounds, ROUND_DEADLINE_SECONDS))
        .withModel(
            new CoordinatorConfig.Model(
                model.getKind(), model.getInputFeatures(), model.getHiddenSizesList(), modelSeed))
        .withTraining(CoordinatorConfig.Training.of(settings))
        .withStrategy(strategy)
        // null keeps the default: on.
        .withSecureAggregation(
            secureAggregation ? null : CoordinatorConfig.SecureAggregation.DISABLED)
        .withPrivacy(privacy)
        .write(configFile);
    return new LoopbackFederation(
        workDirectory, ca, sites, siteIds, CoordinatorConfig.load(configFile), settings.getSeed());
  }

  /**
   * The privacy the coordinator calibrated, empty when the rounds run without it.
   *
   * @throws org.cohort.coordinator.config.ConfigException if the settings cannot work
   */
  Optional<FederationPrivacy> privacy() {
    return FederationPrivacy.of(config);
  }

  /** The strategy as the coordinator runs it, every default filled in. */
  StrategySettings strategy() {
    return config.strategySettings();
  }

  /**
   * Runs every configured round, then the coordinator's cross-site evaluation of the final model.
   */
  Result run(RoundListener progress) throws InterruptedException {
    AtomicReference<EvaluationTable> evaluation = new AtomicReference<>();
    List<SiteAgent> agents = new ArrayList<>();
    List<Optional<PrivacySpent>> spentBySite;
    try (Coordinator coordinator = Coordinator.start(config)) {
      coordinator.addListener(progress);
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void evaluationFinished(EvaluationTable table) {
              evaluation.set(table);
            }
          });
      try {
        for (int i = 0; i < sites.size(); i++) {
          StartupKit kit =
              ca.issue(
                  new ParticipantIdentity(siteIds.get(i), Role.SITE),
                  workDirectory.resolve("kits").resolve(siteIds.get(i)),
                  List.of());
          // The trainer is handed to the agent directly; data only documents where the rows came
          // from.
          Path siteConfigFile = kit.directory().resolve("site.yaml");
          SiteConfig.starter(
                  siteIds.get(i),
                  new SiteConfig.Endpoint("localhost", coordinator.port()),
                  kit.directory(),
                  JsonNodeFactory.instance
                      .objectNode()
                      .put("source", "in-process")
                      .put("site", sites.get(i).name()))
              .withReconnect(new SiteConfig.Reconnect(50, 1_000))
              // A site refuses plain aggregation unless its own config allows it.
              .withPolicy(
                  config.secureAggregationEnabled()
                      ? null
                      : new SiteConfig.Policy(AggregationPolicy.PLAIN_ALLOWED))
              .write(siteConfigFile);
          SiteConfig siteConfig = SiteConfig.load(siteConfigFile);
          agents.add(
              SiteAgent.builder(siteConfig, new DatasetTrainer(sites.get(i).split()))
                  // Every site runs in this process under one operator, so a fixed per-site seed
                  // makes the simulation reproducible; a real site draws its own.
                  .trainingSeeds(new SplittableRandom(trainingSeed * 31L + i))
                  .build()
                  .start());
        }
        coordinator
            .finished()
            .get(config.rounds().count() * (long) ROUND_DEADLINE_SECONDS + 60, TimeUnit.SECONDS);
        // Each site's own account of what it released, read before the agents close.
        spentBySite = agents.stream().map(a -> a.privacySpent(FEDERATION_ID)).toList();
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("the federation did not finish: " + e.getMessage(), e);
      } finally {
        agents.forEach(SiteAgent::close);
      }
      // The coordinator reports the evaluation before it completes finished().
      return new Result(
          coordinator.globalModel().parameters(),
          CrossSiteReport.inSiteOrder(
              evaluation.get(), siteIds, sites.stream().map(SiteData::name).toList()),
          spentBySite);
    }
  }

  /**
   * Secure aggregation (the coordinator's default) needs at least 3 sites: with 2, each could
   * compute the other's update from the sum, so the coordinator refuses it.
   */
  static boolean secureAggregationPossible(int sites) {
    return sites >= 3;
  }
}
