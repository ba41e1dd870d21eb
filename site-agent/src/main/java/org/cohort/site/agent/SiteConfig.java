package org.cohort.site.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.ParticipantIdentity;

/**
 * A site's configuration (site.yaml). {@code data} is opaque here: the trainer factory reads it.
 * {@code reconnect} is optional (defaults: first retry within 500 ms, at most 30 s apart).
 */
public record SiteConfig(
    String siteId,
    Endpoint coordinator,
    Kit kit,
    JsonNode data,
    Reconnect reconnect,
    Path configDirectory) {

  public record Endpoint(String host, int port) {}

  public record Kit(Path certificate, Path privateKey, Path caCertificate, Path revocationList) {
    /** The kit's files; signing files are expected next to the TLS certificate. */
    public KitFiles files() {
      KitFiles standard = KitFiles.in(certificate.toAbsolutePath().getParent());
      return new KitFiles(certificate, privateKey, caCertificate,
          revocationList != null ? revocationList : standard.revocationList(),
          standard.signingCertificate(), standard.signingPrivateKey());
    }
  }

  public record Reconnect(Integer initialDelayMs, Integer maxDelayMs) {}

  public Duration initialReconnectDelay() {
    return Duration.ofMillis(reconnect == null || reconnect.initialDelayMs() == null ? 500 : reconnect.initialDelayMs());
  }

  public Duration maxReconnectDelay() {
    return Duration.ofMillis(reconnect == null || reconnect.maxDelayMs() == null ? 30_000 : reconnect.maxDelayMs());
  }

  public static SiteConfig load(Path file) {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    SiteConfig raw;
    try {
      raw = yaml.readValue(file.toFile(), SiteConfig.class);
    } catch (JsonMappingException e) {
      String field = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
          .collect(Collectors.joining("."));
      throw new IllegalArgumentException(file + ": " + field + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new IllegalArgumentException(file + ": empty configuration");
    }
    Path base = file.toAbsolutePath().getParent();
    Kit kit = raw.kit() == null ? null : new Kit(resolve(base, raw.kit().certificate()),
        resolve(base, raw.kit().privateKey()), resolve(base, raw.kit().caCertificate()),
        resolve(base, raw.kit().revocationList()));
    return new SiteConfig(raw.siteId(), raw.coordinator(), kit, raw.data(), raw.reconnect(), base).validated();
  }

  private static Path resolve(Path base, Path p) {
    return p == null ? null : base.resolve(p).normalize();
  }

  /** Checks every field; throws IllegalArgumentException naming the first bad one. */
  public SiteConfig validated() {
    require(ParticipantIdentity.isValidId(siteId), "site_id must be 1..63 lowercase letters, digits or '-'");
    require(coordinator != null, "coordinator must be set");
    require(coordinator.host() != null && !coordinator.host().isBlank(), "coordinator.host must be set");
    require(coordinator.port() >= 1 && coordinator.port() <= 65535, "coordinator.port must be between 1 and 65535");
    require(kit != null, "kit must be set");
    require(kit.certificate() != null, "kit.certificate must be set");
    require(kit.privateKey() != null, "kit.private_key must be set");
    require(kit.caCertificate() != null, "kit.ca_certificate must be set");
    require(data != null && data.isObject(), "data must be a mapping");
    require(initialReconnectDelay().toMillis() >= 1, "reconnect.initial_delay_ms must be >= 1");
    require(maxReconnectDelay().compareTo(initialReconnectDelay()) >= 0,
        "reconnect.max_delay_ms must be >= reconnect.initial_delay_ms");
    return this;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
