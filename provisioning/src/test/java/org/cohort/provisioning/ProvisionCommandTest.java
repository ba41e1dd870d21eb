package org.cohort.provisioning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.site.agent.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProvisionCommandTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * The shared contract's examples (HELPERS.md), verbatim: generated configs must have the same
   * shape.
   */
  private static final String COORDINATOR_CONTRACT =
      """
            federation_id: demo-consortium
            listen: {host: 0.0.0.0, port: 7443}
            metrics: {host: 127.0.0.1, port: 9464}        # Prometheus text at GET /metrics
            kit: {certificate: tls-cert.pem, private_key: tls-key.pem, ca_certificate: ca.pem, revocation_list: crl.pem}
            sites: {allowed: [hospital-a, hospital-b, hospital-c], min_per_round: 2}
            rounds: {count: 10, deadline_seconds: 120}
            model: {kind: logreg, input_features: 12, hidden_sizes: [], seed: 42}
            training: {epochs: 1, batch_size: 32, learning_rate: 0.1, optimizer: sgd}
            checkpoint: {directory: checkpoints}
            transport: {max_frame_bytes: 4194304, chunk_elements: 262144}
            """;

  private static final String SITE_CONTRACT =
      """
            site_id: hospital-a
            coordinator: {host: 127.0.0.1, port: 7443}
            kit: {certificate: tls-cert.pem, private_key: tls-key.pem, ca_certificate: ca.pem}
            data: {source: synthetic, hospital: 0, seed: 1}   # opaque to transport; see TrainerFactory
            """;

  @TempDir Path root;

  record Result(int code, String out, String err) {}

  static Result provision(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ProvisionCommand.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(code, out.toString(), err.toString());
  }

  static Result init(Path dir, String sites) {
    return provision(
        "init",
        "--out",
        dir.toString(),
        "--consortium",
        "Demo Consortium",
        "--federation-id",
        "demo-consortium",
        "--coordinator-host",
        "coord.example.org,10.0.0.5",
        "--sites",
        sites,
        "--auditors",
        "auditor-1");
  }

  @Test
  void initWritesCaAndKitsWithPrivateKeysOwnerOnly() throws Exception {
    Path dir = root.resolve("out");
    Result result = init(dir, "hospital-a,hospital-b,hospital-c");
    assertEquals(0, result.code(), result.err());

    Path ca = dir.resolve("ca");
    for (String file : List.of("ca-key.pem", "ca.pem", "index.tsv", "crl.pem")) {
      assertTrue(Files.isRegularFile(ca.resolve(file)), file);
    }
    assertEquals("rw-------", permissions(ca.resolve("ca-key.pem")));
    for (String id :
        List.of("coordinator", "hospital-a", "hospital-b", "hospital-c", "auditor-1")) {
      Path kit = dir.resolve("kits").resolve(id);
      assertEquals("rwx------", permissions(kit));
      for (String file :
          List.of(
              "tls-key.pem",
              "tls-cert.pem",
              "signing-key.pem",
              "signing-cert.pem",
              "ca.pem",
              "crl.pem")) {
        assertTrue(Files.isRegularFile(kit.resolve(file)), id + "/" + file);
      }
      assertEquals("rw-------", permissions(kit.resolve("tls-key.pem")));
      assertEquals("rw-------", permissions(kit.resolve("signing-key.pem")));
    }
    assertEquals(
        new ParticipantIdentity("auditor-1", Role.AUDITOR),
        StartupKit.load(dir.resolve("kits/auditor-1")).identity());
    assertEquals(
        new ParticipantIdentity("coordinator", Role.COORDINATOR),
        StartupKit.load(dir.resolve("kits/coordinator")).identity());
  }

  @Test
  void coordinatorConfigHasTheContractShapeAndLoadsAsTheStarterConfig() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b,hospital-c,hospital-d,hospital-e").code());
    JsonNode config = YAML.readTree(dir.resolve("kits/coordinator/coordinator.yaml").toFile());

    assertEquals(shape(YAML.readTree(COORDINATOR_CONTRACT)), shape(config));
    assertEquals("demo-consortium", config.path("federation_id").asText());
    assertEquals(
        List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d", "hospital-e"),
        texts(config.path("sites").path("allowed")));
    assertEquals(3, config.path("sites").path("min_per_round").asInt(), "max(2, ceil(5/2))");
    assertEquals(7443, config.path("listen").path("port").asInt());
    assertEquals("crl.pem", config.path("kit").path("revocation_list").asText());
    assertTrue(config.path("model").path("hidden_sizes").isArray());
    assertEquals(0.1, config.path("training").path("learning_rate").asDouble());

    StarterConfigs.Federation federation =
        StarterConfigs.readFederation(dir.resolve("ca/federation.yaml"));
    Path kit = dir.resolve("kits/coordinator");
    assertEquals(
        StarterConfigs.coordinator(federation, kit, texts(config.path("sites").path("allowed"))),
        CoordinatorConfig.load(kit.resolve("coordinator.yaml")));
  }

  @Test
  void siteConfigsHaveTheContractShapeAndLoadAsTheirStarterConfigs() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(
        0,
        provision(
                "init",
                "--out",
                dir.toString(),
                "--consortium",
                "demo",
                "--federation-id",
                "fed-1",
                "--coordinator-host",
                "coord.example.org",
                "--coordinator-port",
                "9443",
                "--sites",
                "hospital-a,hospital-b")
            .code());
    JsonNode contract = YAML.readTree(SITE_CONTRACT);
    List<String> sites = List.of("hospital-a", "hospital-b");
    for (int index = 0; index < sites.size(); index++) {
      JsonNode config =
          YAML.readTree(
              dir.resolve("kits").resolve(sites.get(index)).resolve("site.yaml").toFile());
      assertEquals(shape(contract), shape(config));
      assertEquals(sites.get(index), config.path("site_id").asText());
      assertEquals(index, config.path("data").path("hospital").asInt());
      assertEquals("synthetic", config.path("data").path("source").asText());
      assertEquals(1, config.path("data").path("seed").asInt());
      assertEquals("coord.example.org", config.path("coordinator").path("host").asText());
      assertEquals(9443, config.path("coordinator").path("port").asInt());

      Path kit = dir.resolve("kits").resolve(sites.get(index));
      assertEquals(
          StarterConfigs.site(
              StarterConfigs.readFederation(dir.resolve("ca/federation.yaml")),
              sites.get(index),
              kit,
              index),
          SiteConfig.load(kit.resolve("site.yaml")));
    }
    assertEquals(
        2,
        YAML.readTree(dir.resolve("kits/coordinator/coordinator.yaml").toFile())
            .path("sites")
            .path("min_per_round")
            .asInt());
  }

  @Test
  void addSiteIssuesTheNextHospitalAndLeavesExistingKitsByteIdentical() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b,hospital-c").code());
    List<byte[]> before = contents(dir.resolve("kits"));
    List<Path> filesBefore = files(dir.resolve("kits"));

    Result result = provision("add-site", "--out", dir.toString(), "--site", "hospital-d");

    assertEquals(0, result.code(), result.err());
    assertTrue(result.out().contains("sites.allowed"), result.out());
    assertEquals(
        filesBefore,
        files(dir.resolve("kits")).stream()
            .filter(file -> !file.startsWith(dir.resolve("kits/hospital-d")))
            .toList());
    List<byte[]> after = new ArrayList<>();
    for (Path file : filesBefore) {
      after.add(Files.readAllBytes(file));
    }
    for (int i = 0; i < before.size(); i++) {
      assertTrue(Arrays.equals(before.get(i), after.get(i)), filesBefore.get(i) + " changed");
    }
    JsonNode config = YAML.readTree(dir.resolve("kits/hospital-d/site.yaml").toFile());
    assertEquals(3, config.path("data").path("hospital").asInt());
    assertEquals(
        StartupKit.load(dir.resolve("kits/hospital-a")).caCertificate(),
        StartupKit.load(dir.resolve("kits/hospital-d")).caCertificate());
  }

  @Test
  void revokeRewritesTheCoordinatorsRevocationList() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b").code());
    StartupKit site = StartupKit.load(dir.resolve("kits/hospital-a"));

    Result result = provision("revoke", "--out", dir.toString(), "--participant", "hospital-a");

    assertEquals(0, result.code(), result.err());
    assertTrue(
        Pem.readCrl(dir.resolve("kits/coordinator/crl.pem")).isRevoked(site.tlsCertificate()));
    assertTrue(Pem.readCrl(dir.resolve("ca/crl.pem")).isRevoked(site.signingCertificate()));
    assertFalse(
        Pem.readCrl(dir.resolve("kits/hospital-b/crl.pem")).isRevoked(site.tlsCertificate()),
        "only the coordinator's copy is updated");
  }

  @Test
  void reissueReplacesTheKitRevokesTheOldOneAndKeepsTheConfig() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b").code());
    StartupKit old = StartupKit.load(dir.resolve("kits/hospital-a"));
    byte[] config = Files.readAllBytes(dir.resolve("kits/hospital-a/site.yaml"));

    Result result = provision("reissue", "--out", dir.toString(), "--participant", "hospital-a");

    assertEquals(0, result.code(), result.err());
    StartupKit renewed = StartupKit.load(dir.resolve("kits/hospital-a"));
    assertFalse(old.tlsCertificate().equals(renewed.tlsCertificate()));
    assertEquals(old.identity(), renewed.identity());
    assertTrue(Arrays.equals(config, Files.readAllBytes(dir.resolve("kits/hospital-a/site.yaml"))));
    assertTrue(
        Pem.readCrl(dir.resolve("kits/coordinator/crl.pem")).isRevoked(old.tlsCertificate()));
    assertFalse(
        Pem.readCrl(dir.resolve("kits/coordinator/crl.pem")).isRevoked(renewed.tlsCertificate()));
    assertEquals("rw-------", permissions(renewed.files().tlsPrivateKey()));

    assertEquals(
        0, provision("reissue", "--out", dir.toString(), "--participant", "coordinator").code());
    assertTrue(
        StartupKit.load(dir.resolve("kits/coordinator"))
            .tlsCertificate()
            .getSubjectAlternativeNames()
            .stream()
            .anyMatch(name -> "coord.example.org".equals(name.get(1))));
  }

  @Test
  void refreshCrlKeepsRevocationsAndUpdatesTheCoordinatorsCopy() throws Exception {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b").code());
    assertEquals(
        0, provision("revoke", "--out", dir.toString(), "--participant", "hospital-b").code());
    X509CRL before = Pem.readCrl(dir.resolve("kits/coordinator/crl.pem"));

    Result result = provision("refresh-crl", "--out", dir.toString());

    assertEquals(0, result.code(), result.err());
    X509CRL after = Pem.readCrl(dir.resolve("kits/coordinator/crl.pem"));
    assertFalse(after.getNextUpdate().before(before.getNextUpdate()));
    assertEquals(before.getRevokedCertificates().size(), after.getRevokedCertificates().size());
    assertTrue(after.isRevoked(StartupKit.load(dir.resolve("kits/hospital-b")).tlsCertificate()));
    assertFalse(
        Arrays.equals(before.getEncoded(), after.getEncoded()), "a new list with a new CRL number");
  }

  static Stream<List<String>> badInvocations() {
    return Stream.of(
        List.of(
            "init",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a,b"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a,a"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "Hospital-A,b"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a,coordinator"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a,b",
            "--auditors",
            "a"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "not a host",
            "--sites",
            "a,b"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "F!",
            "--coordinator-host",
            "c",
            "--sites",
            "a,b"),
        List.of(
            "init",
            "--out",
            "OUT",
            "--consortium",
            "demo",
            "--federation-id",
            "f",
            "--coordinator-host",
            "c",
            "--sites",
            "a,b",
            "--coordinator-port",
            "70000"),
        List.of("add-site", "--out", "OUT", "--site", "x"),
        List.of("revoke", "--out", "OUT", "--participant", "x"),
        List.of("reissue", "--out", "OUT", "--participant", "x"),
        List.of("refresh-crl", "--out", "OUT"),
        List.of("frobnicate"),
        List.of());
  }

  @ParameterizedTest
  @MethodSource("badInvocations")
  void badInputGivesOneLineErrorAndExitCode2AndWritesNothing(List<String> args) {
    Path dir = root.resolve("out");
    Result result =
        provision(
            args.stream().map(arg -> arg.replace("OUT", dir.toString())).toArray(String[]::new));
    assertEquals(2, result.code(), result.out() + result.err());
    assertEquals(1, result.err().lines().count(), result.err());
    assertFalse(Files.exists(dir.resolve("ca")));
  }

  @Test
  void misuseOfAnExistingFederationGivesExitCode2() {
    Path dir = root.resolve("out");
    assertEquals(0, init(dir, "hospital-a,hospital-b").code());
    for (Result result :
        List.of(
            init(dir, "hospital-a,hospital-b"),
            provision("add-site", "--out", dir.toString(), "--site", "hospital-a"),
            provision("add-site", "--out", dir.toString(), "--site", "auditor-1"),
            provision("revoke", "--out", dir.toString(), "--participant", "hospital-z"),
            provision("reissue", "--out", dir.toString(), "--participant", "hospital-z"))) {
      assertEquals(2, result.code(), result.err());
      assertEquals(1, result.err().lines().count(), result.err());
    }
  }

  @Test
  void anEncryptedCaKeyNeedsItsPassphraseForEverySigningCommand() throws Exception {
    Path dir = root.resolve("out");
    Path passphrase = root.resolve("passphrase");
    Files.writeString(passphrase, "a long enough passphrase\n");
    Path wrong = root.resolve("wrong");
    Files.writeString(wrong, "another long passphrase\n");
    Result created =
        provision(
            "init",
            "--out",
            dir.toString(),
            "--consortium",
            "Demo",
            "--federation-id",
            "demo",
            "--coordinator-host",
            "localhost",
            "--sites",
            "hospital-a,hospital-b",
            "--ca-passphrase-file",
            passphrase.toString(),
            "--crl-validity-days",
            "3");
    assertEquals(0, created.code(), created.err());
    assertTrue(
        Files.readString(dir.resolve("ca/ca-key.pem"))
            .startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    X509CRL first = Pem.readCrl(dir.resolve("ca/crl.pem"));
    assertEquals(
        3L * 24 * 3600 * 1000, first.getNextUpdate().getTime() - first.getThisUpdate().getTime());

    Result withoutPassphrase =
        provision("add-site", "--out", dir.toString(), "--site", "hospital-c");
    assertEquals(2, withoutPassphrase.code());
    assertTrue(withoutPassphrase.err().contains("is encrypted"), withoutPassphrase.err());
    Result withWrongOne =
        provision(
            "revoke",
            "--out",
            dir.toString(),
            "--participant",
            "hospital-a",
            "--ca-passphrase-file",
            wrong.toString());
    assertEquals(2, withWrongOne.code());
    assertTrue(withWrongOne.err().contains("does not decrypt"), withWrongOne.err());
    assertFalse(withWrongOne.err().contains("another long"), "the passphrase is never printed");

    Result refreshed =
        provision(
            "refresh-crl", "--out", dir.toString(), "--ca-passphrase-file", passphrase.toString());
    assertEquals(0, refreshed.code(), refreshed.err());
    X509CRL second = Pem.readCrl(dir.resolve("ca/crl.pem"));
    assertEquals(
        7L * 24 * 3600 * 1000, second.getNextUpdate().getTime() - second.getThisUpdate().getTime());
  }

  @Test
  void badParticipantIdsAreRefusedWithoutBeingEchoed() {
    Result result = init(root.resolve("out"), "hospital-a,evil\u001b[2Jsite");
    assertEquals(2, result.code());
    assertFalse(result.err().contains("evil"), result.err());
    assertTrue(result.err().contains("--sites"), result.err());
    assertFalse(Files.exists(root.resolve("out")));
  }

  @Test
  void helpIsAvailableForEveryCommand() {
    for (List<String> args :
        List.of(
            List.of("--help"),
            List.of("init", "--help"),
            List.of("add-site", "--help"),
            List.of("revoke", "--help"),
            List.of("reissue", "--help"),
            List.of("refresh-crl", "--help"))) {
      Result result = provision(args.toArray(String[]::new));
      assertEquals(0, result.code());
      assertTrue(result.out().contains("Usage:"), result.out());
    }
  }

  /** Every key path of a YAML tree (arrays contribute their element shape once). */
  private static Set<String> shape(JsonNode node) {
    Set<String> paths = new TreeSet<>();
    collect(node, "", paths);
    return paths;
  }

  private static void collect(JsonNode node, String prefix, Set<String> paths) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      paths.add(prefix + name);
      collect(node.get(name), prefix + name + ".", paths);
    }
  }

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static String permissions(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }

  private static List<byte[]> contents(Path dir) throws Exception {
    List<byte[]> contents = new ArrayList<>();
    for (Path file : files(dir)) {
      contents.add(Files.readAllBytes(file));
    }
    return contents;
  }
}
