package org.cohort.site.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteConfigTest {

  private static final String VALID =
      """
      site_id: hospital-a
      coordinator: {host: 127.0.0.1, port: 7443}
      kit: {certificate: tls-cert.pem, private_key: tls-key.pem, ca_certificate: ca.pem}
      data: {source: synthetic, hospital: 0, seed: 1}
      """;

  private static SiteConfig load(Path dir, String yaml) throws Exception {
    Path file = dir.resolve("site.yaml");
    Files.writeString(file, yaml);
    return SiteConfig.load(file);
  }

  @Test
  void theDocumentedExampleLoads(@TempDir Path dir) throws Exception {
    SiteConfig config = load(dir, VALID);
    assertEquals("hospital-a", config.siteId());
    assertEquals(dir.resolve("tls-cert.pem"), config.kit().certificate());
    assertEquals(dir.resolve("signing-key.pem"), config.kit().files().signingPrivateKey());
    assertEquals("synthetic", config.data().get("source").asText());
    assertEquals(dir, config.configDirectory());
    assertEquals(500, config.initialReconnectDelay().toMillis());
  }

  @Test
  void aWrittenStarterConfigLoadsBackEqualWithKitPathsRelativeToTheFile(@TempDir Path dir)
      throws Exception {
    ObjectNode data =
        JsonNodeFactory.instance
            .objectNode()
            .put("source", "csv")
            .put("path", "site.csv")
            .put("label", "007");
    SiteConfig starter =
        SiteConfig.starter(
            "hospital-a", new SiteConfig.Endpoint("coord.example.org", 7443), dir, data);
    Path file = dir.resolve("site.yaml");
    starter.write(file);

    assertEquals(starter, SiteConfig.load(file));
    assertEquals(starter, starter.validated());
    String yaml = Files.readString(file);
    assertTrue(yaml.contains("certificate: tls-cert.pem"), yaml);
    assertFalse(
        yaml.contains("config_directory")
            || yaml.contains("revocation_list")
            || yaml.contains("reconnect"),
        "derived and absent fields are left out: " + yaml);

    SiteConfig edited = starter.withReconnect(new SiteConfig.Reconnect(50, 1_000));
    edited.write(file);
    assertEquals(edited, SiteConfig.load(file));
  }

  @Test
  void errorsNameTheField(@TempDir Path dir) {
    assertMessage(dir, VALID.replace("hospital-a", "Hospital A"), "site_id");
    assertMessage(dir, VALID.replace("port: 7443", "port: 0"), "coordinator.port");
    assertMessage(dir, VALID.replace("ca_certificate: ca.pem", "ca_cert: ca.pem"), "ca_cert");
    assertMessage(
        dir, VALID.replace("data: {source: synthetic, hospital: 0, seed: 1}", "data: 3"), "data");
  }

  private static void assertMessage(Path dir, String yaml, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> load(dir, yaml));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
