package org.cohort.coordinator.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.cohort.coordinator.aggregate.ContributionBounds;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.protocol.metrics.SlotLayout;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.wire.FrameCodec;

/**
 * The coordinator's configuration (coordinator.yaml), the one schema every tool writes and the
 * coordinator reads. {@link #load} parses and validates it, resolving relative paths against the
 * file's directory; {@link #write} is its inverse. Sections after {@code transport} are optional
 * and have defaults. {@link #starter} is the config a startup kit ships with.
 */
public record CoordinatorConfig(
    String federationId,
    Endpoint listen,
    Endpoint metrics,
    Kit kit,
    Sites sites,
    Rounds rounds,
    Model model,
    Training training,
    Checkpoint checkpoint,
    Transport transport,
    Aggregation aggregation,
    SecureAggregation secureAggregation,
    StrategySettings strategy,
    Privacy privacy) {

  /** host/port; port 0 picks a free port (tests). */
  public record Endpoint(String host, int port) {}

  public record Kit(Path certificate, Path privateKey, Path caCertificate, Path revocationList) {
    public static Kit of(KitFiles files) {
      return new Kit(
          files.tlsCertificate(),
          files.tlsPrivateKey(),
          files.caCertificate(),
          files.revocationList());
    }
  }

  public record Sites(List<String> allowed, int minPerRound) {}

  public record Rounds(int count, double deadlineSeconds) {
    public Duration deadline() {
      return Duration.ofMillis(Math.round(deadlineSeconds * 1000));
    }
  }

  public record Model(String kind, int inputFeatures, List<Integer> hiddenSizes, long seed) {
    public ModelSpec spec() {
      return ModelSpec.newBuilder()
          .setKind(kind)
          .setInputFeatures(inputFeatures)
          .addAllHiddenSizes(hiddenSizes)
          .build();
    }
  }

  /**
   * training: what every site's local training does in a round. There is no seed: each site seeds
   * its own training from its own randomness.
   */
  public record Training(int epochs, int batchSize, double learningRate, String optimizer) {
    /** The section that {@link #settings} turns back into {@code settings}. */
    public static Training of(TrainingSettings settings) {
      return new Training(
          settings.getEpochs(),
          settings.getBatchSize(),
          settings.getLearningRate(),
          settings.getOptimizer() == Optimizer.OPTIMIZER_ADAM ? "adam" : "sgd");
    }

    public TrainingSettings settings() {
      return TrainingSettings.newBuilder()
          .setEpochs(epochs)
          .setBatchSize(batchSize)
          .setLearningRate(learningRate)
          .setOptimizer(
              "adam".equals(optimizer) ? Optimizer.OPTIMIZER_ADAM : Optimizer.OPTIMIZER_SGD)
          .build();
    }
  }

  public record Checkpoint(Path directory) {}

  /**
   * transport: frame and chunk sizes, heartbeats, and the bounds on connections that have not
   * authenticated yet: {@code max_pending_handshakes} (default 64) TLS handshakes under way at
   * once, further connections closed at accept; each handshake must finish within {@code
   * handshake_timeout_ms} (default 10000). Heartbeat and idle timeout are optional (defaults 5 s
   * and 20 s); a granted upload that sends no chunk for the idle timeout is dropped.
   */
  public record Transport(
      int maxFrameBytes,
      int chunkElements,
      Integer heartbeatIntervalMs,
      Integer idleTimeoutMs,
      Integer maxPendingHandshakes,
      Integer handshakeTimeoutMs) {
    public static final int DEFAULT_MAX_PENDING_HANDSHAKES = 64;
    public static final int DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

    public Transport(
        int maxFrameBytes, int chunkElements, Integer heartbeatIntervalMs, Integer idleTimeoutMs) {
      this(maxFrameBytes, chunkElements, heartbeatIntervalMs, idleTimeoutMs, null, null);
    }

    public int maxPendingHandshakesOrDefault() {
      return maxPendingHandshakes == null ? DEFAULT_MAX_PENDING_HANDSHAKES : maxPendingHandshakes;
    }

    public int handshakeTimeoutMsOrDefault() {
      return handshakeTimeoutMs == null ? DEFAULT_HANDSHAKE_TIMEOUT_MS : handshakeTimeoutMs;
    }
  }

  /**
   * aggregation (optional). staging_buffers: uploads received at once (memory K x model), default
   * 4. max_weight and max_update_norm bound what one site can do to a plain (unmasked) round: its
   * example count counts for at most max_weight (default 100,000, as in secure rounds) and its
   * update is scaled down to L2 norm max_update_norm (default 10) when longer. See {@link
   * org.cohort.coordinator.aggregate.ContributionBounds}.
   */
  public record Aggregation(Integer stagingBuffers, Long maxWeight, Double maxUpdateNorm) {}

  /**
   * secure_aggregation (optional; on unless {@code enabled: false}). Absent keys take the defaults
   * of {@link SecureAggregation#DEFAULTS}. {@code graph}: complete (every pair of sites masks
   * together, t = floor((n-1)/2) + 1), sparse (SecAgg+ random k-regular graph; {@code degree} and
   * {@code threshold} if given, else chosen by GraphPlan.choose from {@code dropout_rate} and
   * {@code corrupt_fraction}) or auto (sparse when a sparse graph meets the targets, else
   * complete).
   */
  public record SecureAggregation(
      Boolean enabled,
      String graph,
      Integer degree,
      Integer threshold,
      Double dropoutRate,
      Double corruptFraction,
      Double clip,
      Integer bits,
      Long maxWeight,
      Double phaseDeadlineSeconds) {
    public static final SecureAggregation DEFAULTS =
        new SecureAggregation(true, "auto", null, null, 0.1, 0.1, 1.0, 32, 100_000L, 30.0);

    /** {@code secure_aggregation: {enabled: false}}: plain FedAvg. */
    public static final SecureAggregation DISABLED =
        new SecureAggregation(false, null, null, null, null, null, null, null, null, null);

    /**
     * Privacy and correctness targets of GraphPlan.choose: failure probabilities 2^-40 and 2^-30.
     */
    public static final int SECURITY_BITS = 40;

    public static final int CORRECTNESS_BITS = 30;

    SecureAggregation withDefaults() {
      return new SecureAggregation(
          or(enabled, DEFAULTS.enabled),
          or(graph, DEFAULTS.graph),
          degree,
          threshold,
          or(dropoutRate, DEFAULTS.dropoutRate),
          or(corruptFraction, DEFAULTS.corruptFraction),
          or(clip, DEFAULTS.clip),
          or(bits, DEFAULTS.bits),
          or(maxWeight, DEFAULTS.maxWeight),
          or(phaseDeadlineSeconds, DEFAULTS.phaseDeadlineSeconds));
    }

    private static <T> T or(T value, T fallback) {
      return value != null ? value : fallback;
    }

    public Duration phaseDeadline() {
      return Duration.ofMillis(Math.round(phaseDeadlineSeconds * 1000));
    }

    /** The graph and threshold for a round of {@code sites} participants. */
    public GraphPlan plan(int sites) {
      return switch (graph) {
        case "complete" ->
            GraphPlan.complete(sites, threshold != null ? threshold : majorityOfNeighbours(sites));
        // A round with fewer sites than the configured degree needs is complete anyway.
        case "sparse" ->
            degree != null && degree >= sites - 1
                ? GraphPlan.complete(sites, majorityOfNeighbours(sites))
                : degree != null
                    ? GraphPlan.harary(degree, threshold != null ? threshold : degree / 2 + 1)
                    : GraphPlan.choose(
                        sites, dropoutRate, corruptFraction, SECURITY_BITS, CORRECTNESS_BITS);
        default -> {
          try {
            yield GraphPlan.choose(
                sites, dropoutRate, corruptFraction, SECURITY_BITS, CORRECTNESS_BITS);
          } catch (SecAggException.InfeasibleGraph e) {
            yield GraphPlan.complete(sites, majorityOfNeighbours(sites));
          }
        }
      };
    }

    /**
     * The smallest threshold the engine allows on the complete graph: a strict majority of the n −
     * 1 neighbours. A site's secrets are shared among its neighbours only, so this tolerates n − 1
     * − t dropouts (none with 3 sites, 1 with 4 or 5) and any t − 1 colluders.
     */
    private static int majorityOfNeighbours(int sites) {
      return (sites - 1) / 2 + 1;
    }

    /**
     * Round parameters for {@code sites} participants and a model of {@code elements} parameters,
     * with count slots for the round's metric sums ({@link
     * org.cohort.protocol.metrics.MetricSums}).
     */
    public SecAggParameters parameters(int sites, int elements) {
      return new SecAggParameters(
          sites,
          elements,
          plan(sites),
          bits,
          clip,
          maxWeight,
          SlotLayout.forMaxSlot(maxWeight).slotCount());
    }
  }

  /**
   * privacy (optional; off when absent). The unit protected is one patient record. {@code mode}:
   * distributed (each round one federation-wide DP-SGD step, noise split across sites under secure
   * aggregation; needs it), central (the coordinator adds the noise: trusts it) or local (DP-SGD in
   * each site's local training, {@code local_steps} steps per round). {@code epsilon} is the target
   * over rounds.count rounds at {@code delta}, turned into a noise multiplier before the first
   * round; or give {@code noise_multiplier} instead. {@code clip}: L2 bound of each record's
   * gradient; {@code sampling_rate}: every site includes each record with this probability; {@code
   * expected_batch_size}: the public divisor of the federation's gradient sum (q times the
   * consortium's training records; a wrong value only rescales the learning rate). distributed
   * only: {@code noise} (discrete_gaussian or skellam), {@code bits} of the secure sum, and {@code
   * colluders}, the sites assumed to collude with the coordinator (their noise shares are not
   * counted).
   */
  public record Privacy(
      String mode,
      String unit,
      Double epsilon,
      Double noiseMultiplier,
      Double delta,
      Double clip,
      Double samplingRate,
      Double expectedBatchSize,
      String noise,
      Integer bits,
      Integer colluders,
      Integer localSteps) {
    public static final double DEFAULT_DELTA = 1e-5;
    public static final int DEFAULT_BITS = 20;
    public static final int DEFAULT_LOCAL_STEPS = 10;

    public double deltaOrDefault() {
      return delta != null ? delta : DEFAULT_DELTA;
    }

    public int bitsOrDefault() {
      return bits != null ? bits : DEFAULT_BITS;
    }

    public int colludersOrDefault() {
      return colluders != null ? colluders : 0;
    }

    public int localStepsOrDefault() {
      return localSteps != null ? localSteps : DEFAULT_LOCAL_STEPS;
    }

    public String noiseOrDefault() {
      return noise != null ? noise : "discrete_gaussian";
    }

    public boolean enabled() {
      return mode != null && !"off".equals(mode);
    }
  }

  public CoordinatorConfig withPrivacy(Privacy privacy) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  /** Whether rounds use differential privacy (a privacy section with a mode other than off). */
  public boolean privacyEnabled() {
    return privacy != null && privacy.enabled();
  }

  public static final int DEFAULT_HEARTBEAT_MS = 5_000;
  public static final int DEFAULT_IDLE_TIMEOUT_MS = 20_000;
  public static final int DEFAULT_STAGING_BUFFERS = 4;
  public static final long DEFAULT_MAX_WEIGHT = 100_000L;
  public static final double DEFAULT_MAX_UPDATE_NORM = 10.0;

  public int heartbeatIntervalMs() {
    return transport.heartbeatIntervalMs() == null
        ? DEFAULT_HEARTBEAT_MS
        : transport.heartbeatIntervalMs();
  }

  public int idleTimeoutMs() {
    return transport.idleTimeoutMs() == null ? DEFAULT_IDLE_TIMEOUT_MS : transport.idleTimeoutMs();
  }

  public int stagingBuffers() {
    return aggregation == null || aggregation.stagingBuffers() == null
        ? DEFAULT_STAGING_BUFFERS
        : aggregation.stagingBuffers();
  }

  /** How much one site's plain update can count, with every default filled in. */
  public ContributionBounds contributionBounds() {
    Long maxWeight = aggregation == null ? null : aggregation.maxWeight();
    Double maxUpdateNorm = aggregation == null ? null : aggregation.maxUpdateNorm();
    return new ContributionBounds(
        maxWeight != null ? maxWeight : DEFAULT_MAX_WEIGHT,
        maxUpdateNorm != null ? maxUpdateNorm : DEFAULT_MAX_UPDATE_NORM);
  }

  /** secure_aggregation with every default filled in. */
  public SecureAggregation secureAggregationSettings() {
    return (secureAggregation == null ? SecureAggregation.DEFAULTS : secureAggregation)
        .withDefaults();
  }

  public boolean secureAggregationEnabled() {
    return secureAggregationSettings().enabled();
  }

  public ModelLayout layout() {
    return ModelLayout.of(model.spec());
  }

  /**
   * Reads and writes coordinator.yaml: snake_case keys, unknown keys refused, absent sections left
   * out.
   */
  private static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  // Strings that look like numbers (an id such as 2024) are quoted, so they read
                  // back as strings.
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS))
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL)
          // Jackson would write a Path as a file: URI, which is always absolute.
          .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance))
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * The documented defaults for a federation of {@code allowedSites} training logistic regression
   * over {@code inputFeatures} features, with the kit's files and the checkpoints in {@code
   * kitDirectory}: listening on port 7443 of every interface, metrics on 127.0.0.1:9464, half the
   * sites (at least 2) per round, 10 rounds of at most 120 s, secure aggregation on.
   */
  public static CoordinatorConfig starter(
      String federationId, Path kitDirectory, List<String> allowedSites, int inputFeatures) {
    return new CoordinatorConfig(
        federationId,
        new Endpoint("0.0.0.0", 7443),
        new Endpoint("127.0.0.1", 9464),
        Kit.of(KitFiles.in(kitDirectory)),
        new Sites(List.copyOf(allowedSites), Math.max(2, (allowedSites.size() + 1) / 2)),
        new Rounds(10, 120),
        new Model("logreg", inputFeatures, List.of(), 42),
        new Training(1, 32, 0.1, "sgd"),
        new Checkpoint(kitDirectory.resolve("checkpoints")),
        new Transport(4_194_304, 262_144, null, null),
        null,
        null,
        null,
        null);
  }

  public CoordinatorConfig withListen(Endpoint listen) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withTransport(Transport transport) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  /** {@code null} runs no metrics endpoint. */
  public CoordinatorConfig withMetrics(Endpoint metrics) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withSites(Sites sites) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withRounds(Rounds rounds) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withModel(Model model) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withTraining(Training training) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withAggregation(Aggregation aggregation) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  public CoordinatorConfig withStrategy(StrategySettings strategy) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  /**
   * strategy (optional; FedAvg when absent) with its defaults filled in and checked against the
   * rest of the config: a robust aggregator is refused under secure aggregation, which hides the
   * individual updates it needs.
   */
  public StrategySettings strategySettings() {
    return (strategy == null ? StrategySettings.DEFAULT : strategy)
        .validated(secureAggregationEnabled(), sites.allowed().size());
  }

  public CoordinatorConfig withSecureAggregation(SecureAggregation secureAggregation) {
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        model,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  /** This config as YAML, paths as they are. */
  public String toYaml() {
    try {
      return YAML.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the configuration of " + federationId, e);
    }
  }

  /**
   * Writes this config to {@code file} so that {@link #load} reads it back equal: paths inside the
   * file's directory are written relative to it, as in a startup kit, so the directory can move.
   */
  public void write(Path file) {
    Path base = file.toAbsolutePath().normalize().getParent();
    try {
      Files.writeString(file, mapPaths(p -> relativeIfInside(base, p)).toYaml());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public static CoordinatorConfig load(Path file) {
    CoordinatorConfig raw;
    try {
      raw = YAML.readValue(file.toFile(), CoordinatorConfig.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(file + ": " + fieldPath(e) + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new ConfigException(file + ": empty configuration");
    }
    Path base = file.toAbsolutePath().getParent();
    return raw.mapPaths(p -> base.resolve(p).normalize()).validated();
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  /** The same config with {@code map} applied to every path that is set. */
  private CoordinatorConfig mapPaths(UnaryOperator<Path> map) {
    UnaryOperator<Path> ifSet = p -> p == null ? null : map.apply(p);
    Kit mappedKit =
        kit == null
            ? null
            : new Kit(
                ifSet.apply(kit.certificate()),
                ifSet.apply(kit.privateKey()),
                ifSet.apply(kit.caCertificate()),
                ifSet.apply(kit.revocationList()));
    Checkpoint mappedCheckpoint =
        checkpoint == null ? null : new Checkpoint(ifSet.apply(checkpoint.directory()));
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        mappedKit,
        sites,
        rounds,
        model,
        training,
        mappedCheckpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  private static Path relativeIfInside(Path base, Path p) {
    if (!p.isAbsolute()) {
      return p; // already relative to the file's directory, as load reads it
    }
    Path normalized = p.normalize();
    return normalized.startsWith(base) ? base.relativize(normalized) : p;
  }

  /** Checks every field; throws {@link ConfigException} naming the first bad one. */
  public CoordinatorConfig validated() {
    require(federationId != null && !federationId.isBlank(), "federation_id must be set");
    require(listen != null, "listen must be set");
    checkEndpoint(listen, "listen");
    if (metrics != null) {
      checkEndpoint(metrics, "metrics");
    }
    require(kit != null, "kit must be set");
    require(kit.certificate() != null, "kit.certificate must be set");
    require(kit.privateKey() != null, "kit.private_key must be set");
    require(kit.caCertificate() != null, "kit.ca_certificate must be set");
    require(sites != null, "sites must be set");
    require(
        sites.allowed() != null && !sites.allowed().isEmpty(),
        "sites.allowed must list at least one site");
    Set<String> unique = Set.copyOf(sites.allowed());
    require(unique.size() == sites.allowed().size(), "sites.allowed must not repeat a site");
    require(sites.minPerRound() >= 1, "sites.min_per_round must be >= 1");
    require(
        sites.minPerRound() <= sites.allowed().size(),
        "sites.min_per_round must be <= the number of sites.allowed");
    require(rounds != null, "rounds must be set");
    require(rounds.count() >= 1, "rounds.count must be >= 1");
    require(rounds.deadlineSeconds() > 0, "rounds.deadline_seconds must be > 0");
    require(model != null, "model must be set");
    require(model.kind() != null, "model.kind must be set");
    require(
        model.hiddenSizes() != null || "logreg".equals(model.kind()),
        "model.hidden_sizes must be set for mlp");
    Model normalizedModel =
        model.hiddenSizes() == null
            ? new Model(model.kind(), model.inputFeatures(), List.of(), model.seed())
            : model;
    try {
      ModelLayout.of(normalizedModel.spec());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    require(training != null, "training must be set");
    require(training.epochs() >= 1, "training.epochs must be >= 1");
    require(training.batchSize() >= 1, "training.batch_size must be >= 1");
    require(training.learningRate() > 0, "training.learning_rate must be > 0");
    require(
        training.optimizer() == null || List.of("sgd", "adam").contains(training.optimizer()),
        "training.optimizer must be sgd or adam");
    require(
        checkpoint != null && checkpoint.directory() != null, "checkpoint.directory must be set");
    require(transport != null, "transport must be set");
    require(
        transport.maxFrameBytes() >= FrameCodec.MIN_FRAME_BYTES,
        "transport.max_frame_bytes must be >= " + FrameCodec.MIN_FRAME_BYTES);
    require(transport.chunkElements() >= 1, "transport.chunk_elements must be >= 1");
    require(
        transport.chunkElements() <= FrameCodec.maxChunkElements(transport.maxFrameBytes()),
        "transport.chunk_elements must fit in transport.max_frame_bytes (at most "
            + FrameCodec.maxChunkElements(transport.maxFrameBytes())
            + ")");
    require(heartbeatIntervalMs() >= 10, "transport.heartbeat_interval_ms must be >= 10");
    require(
        transport.maxPendingHandshakesOrDefault() >= 1,
        "transport.max_pending_handshakes must be >= 1");
    require(
        transport.handshakeTimeoutMsOrDefault() >= 100,
        "transport.handshake_timeout_ms must be >= 100");
    require(
        idleTimeoutMs() > heartbeatIntervalMs(),
        "transport.idle_timeout_ms must be > transport.heartbeat_interval_ms");
    require(stagingBuffers() >= 1, "aggregation.staging_buffers must be >= 1");
    if (aggregation != null) {
      require(
          aggregation.maxWeight() == null || aggregation.maxWeight() >= 1,
          "aggregation.max_weight must be >= 1");
      require(
          aggregation.maxUpdateNorm() == null
              || (aggregation.maxUpdateNorm() > 0 && Double.isFinite(aggregation.maxUpdateNorm())),
          "aggregation.max_update_norm must be a positive number");
    }
    validateSecureAggregation(ModelLayout.of(normalizedModel.spec()).totalElements());
    strategySettings();
    validatePrivacy();
    return new CoordinatorConfig(
        federationId,
        listen,
        metrics,
        kit,
        sites,
        rounds,
        normalizedModel,
        training,
        checkpoint,
        transport,
        aggregation,
        secureAggregation,
        strategy,
        privacy);
  }

  private void validateSecureAggregation(int modelElements) {
    SecureAggregation s = secureAggregationSettings();
    if (!s.enabled()) {
      return;
    }
    require(
        List.of("auto", "complete", "sparse").contains(s.graph()),
        "secure_aggregation.graph must be auto, complete or sparse");
    require(
        sites.allowed().size() >= 3,
        "secure_aggregation needs sites.allowed to list at least 3 sites "
            + "(with 2, each could compute the other's update from the sum); set secure_aggregation.enabled: false to run without it");
    require(
        s.clip() > 0 && Double.isFinite(s.clip()),
        "secure_aggregation.clip must be a positive number");
    require(s.bits() >= 8 && s.bits() <= 32, "secure_aggregation.bits must be in 8..32");
    require(s.maxWeight() >= 1, "secure_aggregation.max_weight must be >= 1");
    require(
        s.dropoutRate() >= 0 && s.dropoutRate() < 1,
        "secure_aggregation.dropout_rate must be in [0, 1)");
    require(
        s.corruptFraction() >= 0 && s.corruptFraction() < 1,
        "secure_aggregation.corrupt_fraction must be in [0, 1)");
    require(s.phaseDeadlineSeconds() > 0, "secure_aggregation.phase_deadline_seconds must be > 0");
    int allowed = sites.allowed().size();
    try {
      // Rounds have at most sites.allowed participants, and fewer sites only widen the margin.
      s.parameters(allowed, modelElements);
    } catch (SecAggException.SumMayWrap e) {
      throw new ConfigException(
          "secure_aggregation.clip, secure_aggregation.bits, secure_aggregation.max_weight and "
              + "the "
              + allowed
              + " sites of sites.allowed could let the sum wrap around 2^bits: "
              + e.getMessage());
    } catch (SecAggException e) {
      throw new ConfigException(
          "secure_aggregation.graph, secure_aggregation.degree or secure_aggregation.threshold: "
              + e.getMessage());
    }
  }

  private void validatePrivacy() {
    if (privacy == null) {
      return;
    }
    require(
        privacy.mode() == null
            || List.of("off", "distributed", "central", "local").contains(privacy.mode()),
        "privacy.mode must be off, distributed, central or local");
    if (!privacy.enabled()) {
      return;
    }
    require(
        privacy.unit() == null || List.of("patient", "site").contains(privacy.unit()),
        "privacy.unit must be patient or site");
    require(
        !"site".equals(privacy.unit())
            || (!"local".equals(privacy.mode())
                && privacy.samplingRate() != null
                && privacy.samplingRate() == 1),
        "privacy.unit site needs mode distributed or central and privacy.sampling_rate 1 (every"
            + " participant contributes its clipped update each round)");
    require(
        (privacy.epsilon() == null) != (privacy.noiseMultiplier() == null),
        "privacy needs exactly one of privacy.epsilon (a target) or privacy.noise_multiplier");
    require(
        privacy.epsilon() == null || (privacy.epsilon() > 0 && Double.isFinite(privacy.epsilon())),
        "privacy.epsilon must be a positive number");
    require(
        privacy.noiseMultiplier() == null
            || (privacy.noiseMultiplier() > 0 && Double.isFinite(privacy.noiseMultiplier())),
        "privacy.noise_multiplier must be a positive number");
    double delta = privacy.deltaOrDefault();
    require(delta > 0 && delta < 1, "privacy.delta must be in (0, 1)");
    require(
        privacy.clip() != null && privacy.clip() > 0 && Double.isFinite(privacy.clip()),
        "privacy.clip must be set to a positive number (each record's gradient L2 bound)");
    require(
        privacy.samplingRate() != null && privacy.samplingRate() > 0 && privacy.samplingRate() <= 1,
        "privacy.sampling_rate must be set, in (0, 1]");
    require(
        privacy.expectedBatchSize() != null
            && privacy.expectedBatchSize() > 0
            && Double.isFinite(privacy.expectedBatchSize()),
        "privacy.expected_batch_size must be set to a positive number");
    require(
        List.of("discrete_gaussian", "skellam").contains(privacy.noiseOrDefault()),
        "privacy.noise must be discrete_gaussian or skellam");
    require(
        privacy.bitsOrDefault() >= 8 && privacy.bitsOrDefault() <= 32,
        "privacy.bits must be in 8..32");
    require(privacy.colludersOrDefault() >= 0, "privacy.colluders must be >= 0");
    require(privacy.localStepsOrDefault() >= 1, "privacy.local_steps must be >= 1");
    require(
        !"distributed".equals(privacy.mode()) || secureAggregationEnabled(),
        "privacy.mode distributed needs secure aggregation (secure_aggregation.enabled: true)");
    require(
        !strategySettings().robust(),
        "privacy needs the mean aggregator: a robust aggregator picks individual sites' updates, "
            + "which the noise is not calibrated for");
  }

  private static void checkEndpoint(Endpoint endpoint, String name) {
    require(endpoint.host() != null && !endpoint.host().isBlank(), name + ".host must be set");
    require(
        endpoint.port() >= 0 && endpoint.port() <= 65535,
        name + ".port must be between 0 and 65535");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new ConfigException(message);
    }
  }
}
