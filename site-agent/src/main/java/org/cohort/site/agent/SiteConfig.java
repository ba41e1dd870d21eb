package org.cohort.site.agent;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.site.round.AggregationPolicy;
import org.cohort.site.round.PrivacyPolicy;

/**
 * A site's configuration (site.yaml), the one schema every tool writes and the site agent reads.
 * {@link #load} parses and validates it, resolving relative paths against the file's directory;
 * {@link #write} is its inverse. {@code data} is opaque here: the trainer factory reads it, with
 * relative paths against {@code configDirectory} (the file's directory; not itself in the file).
 * {@code reconnect} is optional (defaults: first retry within 500 ms, at most 30 s apart). {@code
 * policy} is the site's own say over what it takes part in; absent, the defaults of each of its
 * sections apply (secure aggregation only: see {@link AggregationPolicy}).
 */
public record SiteConfig(
    String siteId,
    Endpoint coordinator,
    Kit kit,
    Policy policy,
    JsonNode data,
    Reconnect reconnect,
    @JsonIgnore Path configDirectory) {

  public record Endpoint(String host, int port) {}

  public record Kit(Path certificate, Path privateKey, Path caCertificate, Path revocationList) {
    /**
     * The standard layout of a kit directory; revocation_list is left out, so {@link #files} finds
     * it there.
     */
    public static Kit in(Path kitDirectory) {
      KitFiles files = KitFiles.in(kitDirectory);
      return new Kit(files.tlsCertificate(), files.tlsPrivateKey(), files.caCertificate(), null);
    }

    /** The kit's files; signing files are expected next to the TLS certificate. */
    public KitFiles files() {
      KitFiles standard = KitFiles.in(certificate.toAbsolutePath().getParent());
      return new KitFiles(
          certificate,
          privateKey,
          caCertificate,
          revocationList != null ? revocationList : standard.revocationList(),
          standard.signingCertificate(),
          standard.signingPrivateKey());
    }
  }

  public record Reconnect(Integer initialDelayMs, Integer maxDelayMs) {}

  /**
   * The site's policy, one section per concern so that later concerns (which jobs to accept, say)
   * get sections of their own.
   *
   * @param aggregation what protection a training task must offer (absent: the defaults)
   * @param privacy what differential privacy a training task must offer (absent: none required)
   */
  public record Policy(AggregationPolicy aggregation, PrivacyPolicy privacy) {
    public static final Policy DEFAULT =
        new Policy(AggregationPolicy.DEFAULT, PrivacyPolicy.DEFAULT);

    /** A policy with the default privacy section. */
    public Policy(AggregationPolicy aggregation) {
      this(aggregation, null);
    }

    public AggregationPolicy aggregationOrDefault() {
      return aggregation == null ? AggregationPolicy.DEFAULT : aggregation;
    }

    public PrivacyPolicy privacyOrDefault() {
      return privacy == null ? PrivacyPolicy.DEFAULT : privacy;
    }
  }

  /** The policy in force: the file's, or the defaults if it has no policy section. */
  public Policy policyOrDefault() {
    return policy == null ? Policy.DEFAULT : policy;
  }

  public Duration initialReconnectDelay() {
    return Duration.ofMillis(
        reconnect == null || reconnect.initialDelayMs() == null ? 500 : reconnect.initialDelayMs());
  }

  public Duration maxReconnectDelay() {
    return Duration.ofMillis(
        reconnect == null || reconnect.maxDelayMs() == null ? 30_000 : reconnect.maxDelayMs());
  }

  /**
   * Reads and writes site.yaml: snake_case keys, unknown keys refused, absent sections left out.
   */
  private static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  // Strings that look like numbers (in data, say) are quoted, so they read back as
                  // strings.
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS))
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL)
          // Jackson would write a Path as a file: URI, which is always absolute.
          .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance))
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * The config a site's startup kit ships with: the kit's files in {@code kitDirectory}, where the
   * file is meant to be written, and default reconnect delays.
   */
  public static SiteConfig starter(
      String siteId, Endpoint coordinator, Path kitDirectory, JsonNode data) {
    return new SiteConfig(
        siteId, coordinator, Kit.in(kitDirectory), null, data, null, kitDirectory);
  }

  public SiteConfig withData(JsonNode data) {
    return new SiteConfig(siteId, coordinator, kit, policy, data, reconnect, configDirectory);
  }

  public SiteConfig withReconnect(Reconnect reconnect) {
    return new SiteConfig(siteId, coordinator, kit, policy, data, reconnect, configDirectory);
  }

  public SiteConfig withPolicy(Policy policy) {
    return new SiteConfig(siteId, coordinator, kit, policy, data, reconnect, configDirectory);
  }

  /** This config as YAML, paths as they are. */
  public String toYaml() {
    try {
      return YAML.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the configuration of " + siteId, e);
    }
  }

  /**
   * Writes this config to {@code file} so that {@link #load} reads it back equal when {@code file}
   * is in {@code configDirectory}: kit paths inside the file's directory are written relative to
   * it, as in a startup kit. {@code data} is written as it is.
   */
  public void write(Path file) {
    Path base = file.toAbsolutePath().normalize().getParent();
    try {
      Files.writeString(file, mapKitPaths(p -> relativeIfInside(base, p)).toYaml());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  public static SiteConfig load(Path file) {
    SiteConfig raw;
    try {
      raw = YAML.readValue(file.toFile(), SiteConfig.class);
    } catch (JsonMappingException e) {
      String field =
          e.getPath().stream()
              .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
              .collect(Collectors.joining("."));
      throw new IllegalArgumentException(file + ": " + field + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new IllegalArgumentException(file + ": empty configuration");
    }
    Path base = file.toAbsolutePath().getParent();
    return new SiteConfig(
            raw.siteId(),
            raw.coordinator(),
            raw.kit(),
            raw.policy(),
            raw.data(),
            raw.reconnect(),
            base)
        .mapKitPaths(p -> base.resolve(p).normalize())
        .validated();
  }

  /** The same config with {@code map} applied to every kit path that is set. */
  private SiteConfig mapKitPaths(UnaryOperator<Path> map) {
    UnaryOperator<Path> ifSet = p -> p == null ? null : map.apply(p);
    Kit mappedKit =
        kit == null
            ? null
            : new Kit(
                ifSet.apply(kit.certificate()),
                ifSet.apply(kit.privateKey()),
                ifSet.apply(kit.caCertificate()),
                ifSet.apply(kit.revocationList()));
    return new SiteConfig(siteId, coordinator, mappedKit, policy, data, reconnect, configDirectory);
  }

  private static Path relativeIfInside(Path base, Path p) {
    if (!p.isAbsolute()) {
      return p; // already relative to the file's directory, as load reads it
    }
    Path normalized = p.normalize();
    return normalized.startsWith(base) ? base.relativize(normalized) : p;
  }

  /** Checks every field; throws IllegalArgumentException naming the first bad one. */
  public SiteConfig validated() {
    require(
        ParticipantIdentity.isValidId(siteId), "site_id must be " + ParticipantIdentity.ID_RULE);
    require(coordinator != null, "coordinator must be set");
    require(
        coordinator.host() != null && !coordinator.host().isBlank(),
        "coordinator.host must be set");
    require(
        coordinator.port() >= 1 && coordinator.port() <= 65535,
        "coordinator.port must be between 1 and 65535");
    require(kit != null, "kit must be set");
    require(kit.certificate() != null, "kit.certificate must be set");
    require(kit.privateKey() != null, "kit.private_key must be set");
    require(kit.caCertificate() != null, "kit.ca_certificate must be set");
    require(data != null && data.isObject(), "data must be a mapping");
    policyOrDefault()
        .aggregationOrDefault()
        .invalidField()
        .or(() -> policyOrDefault().privacyOrDefault().invalidField())
        .ifPresent(
            message -> {
              throw new IllegalArgumentException(message);
            });
    require(initialReconnectDelay().toMillis() >= 1, "reconnect.initial_delay_ms must be >= 1");
    require(
        maxReconnectDelay().compareTo(initialReconnectDelay()) >= 0,
        "reconnect.max_delay_ms must be >= reconnect.initial_delay_ms");
    return this;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
