package org.cohort.provisioning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.data.SyntheticCohort;

/**
 * The starter configs written into kits, with defaults an operator then edits. coordinator.yaml and
 * site.yaml are the coordinator's and the site's own schemas ({@link CoordinatorConfig}, {@link
 * SiteConfig}), written by them; the auditor has no loader yet, so auditor.yaml and the
 * provisioning settings are written here. Key paths are relative to the kit directory.
 */
final class StarterConfigs {
  static final String COORDINATOR_FILE = "coordinator.yaml";
  static final String SITE_FILE = "site.yaml";
  static final String AUDITOR_FILE = "auditor.yaml";

  /** Where the operator's provisioning settings live, next to the CA so add-site can reuse them. */
  static final String FEDERATION_FILE = "federation.yaml";

  /**
   * For federation.yaml and auditor.yaml, in the same style as the coordinator's and sites' files.
   */
  private static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  record ClientKit(String certificate, String privateKey, String caCertificate) {}

  record AuditorConfig(
      String auditorId, String federationId, SiteConfig.Endpoint coordinator, ClientKit kit) {}

  /** What init decided and add-site needs again. */
  record Federation(
      String federationId, String consortium, List<String> coordinatorHosts, int coordinatorPort) {
    SiteConfig.Endpoint coordinatorEndpoint() {
      return new SiteConfig.Endpoint(coordinatorHosts.get(0), coordinatorPort);
    }
  }

  private StarterConfigs() {}

  /**
   * Trains on the built-in synthetic cohort, like the starter site configs; its port is init's
   * --coordinator-port.
   */
  static CoordinatorConfig coordinator(
      Federation federation, Path kitDirectory, List<String> siteIds) {
    return CoordinatorConfig.starter(
            federation.federationId(), kitDirectory, siteIds, SyntheticCohort.FEATURE_COUNT)
        .withListen(new CoordinatorConfig.Endpoint("0.0.0.0", federation.coordinatorPort()));
  }

  /**
   * Site number {@code hospitalIndex} of the built-in synthetic cohort; an operator with their own
   * data edits it.
   */
  static SiteConfig site(
      Federation federation, String siteId, Path kitDirectory, int hospitalIndex) {
    JsonNode data =
        JsonNodeFactory.instance
            .objectNode()
            .put("source", "synthetic")
            .put("hospital", hospitalIndex)
            .put("seed", 1);
    return SiteConfig.starter(siteId, federation.coordinatorEndpoint(), kitDirectory, data);
  }

  static AuditorConfig auditor(Federation federation, String auditorId) {
    return new AuditorConfig(
        auditorId,
        federation.federationId(),
        federation.coordinatorEndpoint(),
        new ClientKit(KitFiles.TLS_CERTIFICATE, KitFiles.TLS_PRIVATE_KEY, KitFiles.CA_CERTIFICATE));
  }

  static void write(Path file, Object config) {
    try {
      Files.writeString(file, YAML.writeValueAsString(config));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static Federation readFederation(Path file) {
    try {
      return YAML.readValue(file.toFile(), Federation.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
