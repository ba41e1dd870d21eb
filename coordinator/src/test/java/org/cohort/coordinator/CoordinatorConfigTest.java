package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cohort.coordinator.aggregate.ContributionBounds;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.config.CoordinatorConfig.Aggregation;
import org.cohort.coordinator.config.CoordinatorConfig.Checkpoint;
import org.cohort.coordinator.config.CoordinatorConfig.Endpoint;
import org.cohort.coordinator.config.CoordinatorConfig.Kit;
import org.cohort.coordinator.config.CoordinatorConfig.Model;
import org.cohort.coordinator.config.CoordinatorConfig.Rounds;
import org.cohort.coordinator.config.CoordinatorConfig.SecureAggregation;
import org.cohort.coordinator.config.CoordinatorConfig.Sites;
import org.cohort.coordinator.config.CoordinatorConfig.Training;
import org.cohort.coordinator.config.CoordinatorConfig.Transport;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.NeighbourGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorConfigTest {

  private static final String VALID =
      """
      federation_id: demo-consortium
      listen: {host: 0.0.0.0, port: 7443}
      metrics: {host: 127.0.0.1, port: 9464}
      kit: {certificate: tls-cert.pem, private_key: tls-key.pem, ca_certificate: ca.pem, revocation_list: crl.pem}
      sites: {allowed: [hospital-a, hospital-b, hospital-c], min_per_round: 2}
      rounds: {count: 10, deadline_seconds: 120}
      model: {kind: logreg, input_features: 12, hidden_sizes: [], seed: 42}
      training: {epochs: 1, batch_size: 32, learning_rate: 0.1, optimizer: sgd}
      checkpoint: {directory: checkpoints}
      transport: {max_frame_bytes: 4194304, chunk_elements: 262144}
      """;

  private static CoordinatorConfig load(Path dir, String yaml) throws Exception {
    Path file = dir.resolve("coordinator.yaml");
    Files.writeString(file, yaml);
    return CoordinatorConfig.load(file);
  }

  @Test
  void theDocumentedExampleLoadsWithPathsResolvedAgainstTheFile(@TempDir Path dir)
      throws Exception {
    CoordinatorConfig config = load(dir, VALID);
    assertEquals("demo-consortium", config.federationId());
    assertEquals(dir.resolve("tls-cert.pem"), config.kit().certificate());
    assertEquals(dir.resolve("checkpoints"), config.checkpoint().directory());
    assertEquals(13, config.layout().totalElements());
    assertEquals(CoordinatorConfig.DEFAULT_STAGING_BUFFERS, config.stagingBuffers());
  }

  @Test
  void aWrittenStarterConfigLoadsBackEqualWithKitPathsRelativeToTheFile(@TempDir Path dir)
      throws Exception {
    CoordinatorConfig starter =
        CoordinatorConfig.starter(
            "demo-consortium", dir, List.of("hospital-a", "hospital-b", "hospital-c"), 12);
    Path file = dir.resolve("coordinator.yaml");
    starter.write(file);

    assertEquals(starter, CoordinatorConfig.load(file));
    assertEquals(starter, starter.validated());
    String yaml = Files.readString(file);
    assertTrue(yaml.contains("certificate: tls-cert.pem"), yaml);
    assertTrue(yaml.contains("directory: checkpoints"), yaml);
    assertFalse(yaml.contains("secure_aggregation"), "absent sections are left out: " + yaml);
  }

  @Test
  void everySectionRoundTripsAndPathsOutsideTheFilesDirectoryStayAbsolute(@TempDir Path dir)
      throws Exception {
    Path kit = dir.resolve("kit");
    Path elsewhere = dir.resolve("elsewhere").toAbsolutePath();
    CoordinatorConfig config =
        new CoordinatorConfig(
            "2024",
            new Endpoint("127.0.0.1", 0),
            null,
            Kit.of(KitFiles.in(kit)),
            new Sites(List.of("a", "b", "c"), 3),
            new Rounds(2, 1.5),
            new Model("mlp", 4, List.of(3), 1),
            new Training(2, 16, 0.05, "adam"),
            new Checkpoint(elsewhere),
            new Transport(4096, 5, 200, 3000),
            new Aggregation(1, null, null),
            new SecureAggregation(null, "sparse", 2, 2, null, null, 0.5, null, null, null),
            new StrategySettings("fedadam", null, 0.05, null, null, null, null, null, null, null),
            null);
    Files.createDirectories(kit);
    Path file = kit.resolve("coordinator.yaml");
    config.write(file);

    assertEquals(config, CoordinatorConfig.load(file));
    assertTrue(Files.readString(file).contains("directory: " + elsewhere), Files.readString(file));
  }

  @Test
  void errorsNameTheField(@TempDir Path dir) {
    assertMessage(dir, VALID.replace("count: 10", "count: 0"), "rounds.count must be >= 1");
    assertMessage(
        dir, VALID.replace("min_per_round: 2", "min_per_round: 4"), "sites.min_per_round");
    assertMessage(
        dir,
        VALID.replace("chunk_elements: 262144", "chunk_elements: 2000000"),
        "transport.chunk_elements");
    assertMessage(dir, VALID.replace("kind: logreg", "kind: forest"), "model.kind");
    assertMessage(dir, VALID.replace("seed: 42", "seed: 42, colour: red"), "colour");
    assertMessage(dir, VALID.replace("port: 7443", "port: seven"), "port");
    assertMessage(
        dir,
        VALID.replace("optimizer: sgd}", "optimizer: sgd, seed: 7}"),
        "seed"); // sites seed their own training
  }

  @Test
  void plainRoundsBoundEachContributionByDefault(@TempDir Path dir) throws Exception {
    assertEquals(new ContributionBounds(100_000, 10.0), load(dir, VALID).contributionBounds());
    assertEquals(
        new ContributionBounds(500, 2.5),
        load(dir, VALID + "aggregation: {max_weight: 500, max_update_norm: 2.5}\n")
            .contributionBounds());
    assertMessage(
        dir, VALID + "aggregation: {max_weight: 0}\n", "aggregation.max_weight must be >= 1");
    assertMessage(
        dir,
        VALID + "aggregation: {max_update_norm: -1}\n",
        "aggregation.max_update_norm must be a positive number");
  }

  @Test
  void secureAggregationIsOnByDefaultWithTheDocumentedSettings(@TempDir Path dir) throws Exception {
    CoordinatorConfig config = load(dir, VALID);
    assertTrue(config.secureAggregationEnabled());
    SecureAggregation settings = config.secureAggregationSettings();
    assertEquals("auto", settings.graph());
    assertEquals(1.0, settings.clip());
    assertEquals(32, settings.bits());
    assertEquals(100_000L, settings.maxWeight());
    // Three sites are far too few for a sparse graph at 2^-40: auto falls back to the complete
    // graph, t = 2.
    assertEquals(GraphPlan.complete(3, 2), settings.plan(3));
    assertEquals(NeighbourGraph.Kind.HARARY, settings.plan(1000).kind());

    CoordinatorConfig off = load(dir, VALID + "secure_aggregation: {enabled: false}\n");
    assertFalse(off.secureAggregationEnabled());
    CoordinatorConfig sparse =
        load(
            dir,
            VALID + "secure_aggregation: {graph: sparse, degree: 2, threshold: 2, clip: 0.5}\n");
    assertEquals(GraphPlan.harary(2, 2), sparse.secureAggregationSettings().plan(3 + 2));
    assertEquals(0.5, sparse.secureAggregationSettings().clip());
  }

  @Test
  void aConfigWhoseSumCouldWrapIsRefusedNamingTheFields(@TempDir Path dir) {
    // 3 sites of weight up to 10^7 leave fewer than 256 quantization steps per clip range in 32
    // bits.
    assertMessage(
        dir,
        VALID + "secure_aggregation: {max_weight: 10000000}\n",
        "secure_aggregation.clip, secure_aggregation.bits, "
            + "secure_aggregation.max_weight and the 3 sites of sites.allowed could let the sum wrap");
    // The total weight alone does not fit in 16 bits.
    assertMessage(dir, VALID + "secure_aggregation: {bits: 16}\n", "secure_aggregation.max_weight");
    assertMessage(
        dir, VALID + "secure_aggregation: {graph: ring}\n", "secure_aggregation.graph must be");
    assertMessage(
        dir,
        VALID.replace(
            "allowed: [hospital-a, hospital-b, hospital-c]", "allowed: [hospital-a, hospital-b]"),
        "secure_aggregation needs sites.allowed to list at least 3 sites");
  }

  @Test
  void privacyErrorsNameTheField(@TempDir Path dir) {
    String central = "privacy: {mode: central, epsilon: 3, clip: 1, sampling_rate: 0.1";
    assertMessage(dir, VALID + central + "}\n", "privacy.expected_batch_size must be set");
    assertMessage(
        dir,
        VALID + central + ", expected_batch_size: 30, noise_multiplier: 1}\n",
        "exactly one of privacy.epsilon");
    assertMessage(
        dir,
        VALID + central + ", expected_batch_size: 30, unit: ward}\n",
        "privacy.unit must be patient or site");
    assertMessage(
        dir,
        VALID + central + ", expected_batch_size: 30, unit: site}\n",
        "privacy.unit site needs mode distributed or central and privacy.sampling_rate 1");
    assertMessage(
        dir,
        VALID + central.replace("central", "fuzzy") + ", expected_batch_size: 30}\n",
        "privacy.mode must be");
    assertMessage(
        dir,
        VALID
            + central.replace("central", "distributed")
            + ", expected_batch_size: 30}\nsecure_aggregation: {enabled: false}\n",
        "privacy.mode distributed needs secure aggregation");
    assertMessage(
        dir,
        VALID
            + central
            + ", expected_batch_size: 30}\nsecure_aggregation: {enabled: false}\n"
            + "strategy: {name: median}\n",
        "privacy needs the mean aggregator");
    assertMessage(
        dir, VALID + central + ", expected_batch_size: 30, bits: 40}\n", "privacy.bits must be");
  }

  private static void assertMessage(Path dir, String yaml, String expected) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(dir, yaml));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
