package org.cohort.coordinator.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.wire.FrameCodec;

/**
 * The coordinator's configuration (coordinator.yaml). {@link #load} parses and validates it;
 * relative paths are resolved against the file's directory. Sections after {@code transport} are
 * optional and have defaults.
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
    Aggregation aggregation) {

  /** host/port; port 0 picks a free port (tests). */
  public record Endpoint(String host, int port) {}

  public record Kit(Path certificate, Path privateKey, Path caCertificate, Path revocationList) {}

  public record Sites(List<String> allowed, int minPerRound) {}

  public record Rounds(int count, double deadlineSeconds) {
    public Duration deadline() {
      return Duration.ofMillis(Math.round(deadlineSeconds * 1000));
    }
  }

  public record Model(String kind, int inputFeatures, List<Integer> hiddenSizes, long seed) {
    public ModelSpec spec() {
      return ModelSpec.newBuilder().setKind(kind).setInputFeatures(inputFeatures)
          .addAllHiddenSizes(hiddenSizes).build();
    }
  }

  public record Training(int epochs, int batchSize, double learningRate, String optimizer, long seed) {
    public TrainingSettings settings() {
      return TrainingSettings.newBuilder().setEpochs(epochs).setBatchSize(batchSize)
          .setLearningRate(learningRate).setSeed(seed)
          .setOptimizer("adam".equals(optimizer) ? Optimizer.OPTIMIZER_ADAM : Optimizer.OPTIMIZER_SGD).build();
    }
  }

  public record Checkpoint(Path directory) {}

  /** heartbeat and idle timeout are optional (defaults 5 s and 20 s). */
  public record Transport(int maxFrameBytes, int chunkElements, Integer heartbeatIntervalMs, Integer idleTimeoutMs) {}

  /** staging_buffers: uploads received at once (memory K x model); default 4. */
  public record Aggregation(Integer stagingBuffers) {}

  public static final int DEFAULT_HEARTBEAT_MS = 5_000;
  public static final int DEFAULT_IDLE_TIMEOUT_MS = 20_000;
  public static final int DEFAULT_STAGING_BUFFERS = 4;

  public int heartbeatIntervalMs() {
    return transport.heartbeatIntervalMs() == null ? DEFAULT_HEARTBEAT_MS : transport.heartbeatIntervalMs();
  }

  public int idleTimeoutMs() {
    return transport.idleTimeoutMs() == null ? DEFAULT_IDLE_TIMEOUT_MS : transport.idleTimeoutMs();
  }

  public int stagingBuffers() {
    return aggregation == null || aggregation.stagingBuffers() == null
        ? DEFAULT_STAGING_BUFFERS : aggregation.stagingBuffers();
  }

  public ModelLayout layout() {
    return ModelLayout.of(model.spec());
  }

  public static CoordinatorConfig load(Path file) {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    CoordinatorConfig raw;
    try {
      raw = yaml.readValue(file.toFile(), CoordinatorConfig.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(file + ": " + fieldPath(e) + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new ConfigException(file + ": empty configuration");
    }
    Path base = file.toAbsolutePath().getParent();
    return raw.resolvedAgainst(base).validated();
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private CoordinatorConfig resolvedAgainst(Path base) {
    Kit resolvedKit = kit == null ? null : new Kit(resolve(base, kit.certificate()), resolve(base, kit.privateKey()),
        resolve(base, kit.caCertificate()), resolve(base, kit.revocationList()));
    Checkpoint resolvedCheckpoint = checkpoint == null ? null : new Checkpoint(resolve(base, checkpoint.directory()));
    return new CoordinatorConfig(federationId, listen, metrics, resolvedKit, sites, rounds, model, training,
        resolvedCheckpoint, transport, aggregation);
  }

  private static Path resolve(Path base, Path p) {
    return p == null ? null : base.resolve(p).normalize();
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
    require(sites.allowed() != null && !sites.allowed().isEmpty(), "sites.allowed must list at least one site");
    Set<String> unique = Set.copyOf(sites.allowed());
    require(unique.size() == sites.allowed().size(), "sites.allowed must not repeat a site");
    require(sites.minPerRound() >= 1, "sites.min_per_round must be >= 1");
    require(sites.minPerRound() <= sites.allowed().size(), "sites.min_per_round must be <= the number of sites.allowed");
    require(rounds != null, "rounds must be set");
    require(rounds.count() >= 1, "rounds.count must be >= 1");
    require(rounds.deadlineSeconds() > 0, "rounds.deadline_seconds must be > 0");
    require(model != null, "model must be set");
    require(model.kind() != null, "model.kind must be set");
    require(model.hiddenSizes() != null || "logreg".equals(model.kind()), "model.hidden_sizes must be set for mlp");
    Model normalizedModel = model.hiddenSizes() == null
        ? new Model(model.kind(), model.inputFeatures(), List.of(), model.seed()) : model;
    try {
      ModelLayout.of(normalizedModel.spec());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    require(training != null, "training must be set");
    require(training.epochs() >= 1, "training.epochs must be >= 1");
    require(training.batchSize() >= 1, "training.batch_size must be >= 1");
    require(training.learningRate() > 0, "training.learning_rate must be > 0");
    require(training.optimizer() == null || List.of("sgd", "adam").contains(training.optimizer()),
        "training.optimizer must be sgd or adam");
    require(checkpoint != null && checkpoint.directory() != null, "checkpoint.directory must be set");
    require(transport != null, "transport must be set");
    require(transport.maxFrameBytes() >= FrameCodec.MIN_FRAME_BYTES,
        "transport.max_frame_bytes must be >= " + FrameCodec.MIN_FRAME_BYTES);
    require(transport.chunkElements() >= 1, "transport.chunk_elements must be >= 1");
    require(transport.chunkElements() <= FrameCodec.maxChunkElements(transport.maxFrameBytes()),
        "transport.chunk_elements must fit in transport.max_frame_bytes (at most "
            + FrameCodec.maxChunkElements(transport.maxFrameBytes()) + ")");
    require(heartbeatIntervalMs() >= 10, "transport.heartbeat_interval_ms must be >= 10");
    require(idleTimeoutMs() > heartbeatIntervalMs(), "transport.idle_timeout_ms must be > transport.heartbeat_interval_ms");
    require(stagingBuffers() >= 1, "aggregation.staging_buffers must be >= 1");
    return new CoordinatorConfig(federationId, listen, metrics, kit, sites, rounds, normalizedModel, training,
        checkpoint, transport, aggregation);
  }

  private static void checkEndpoint(Endpoint endpoint, String name) {
    require(endpoint.host() != null && !endpoint.host().isBlank(), name + ".host must be set");
    require(endpoint.port() >= 0 && endpoint.port() <= 65535, name + ".port must be between 0 and 65535");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new ConfigException(message);
    }
  }
}
