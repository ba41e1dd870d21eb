package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoordinatorCommandTest {

  @Test
  void helpDescribesTheConfigOption() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new CoordinatorCommand()).setOut(new PrintWriter(out));
    assertEquals(0, cli.execute("--help"));
    assertTrue(out.toString().contains("--config"), out.toString());
  }

  @Test
  void anInvalidConfigExitsWithUsageErrorBeforeListening(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("coordinator.yaml");
    Files.writeString(config, "federation_id: x\nrounds: {count: 0}\n");
    assertEquals(
        2, new CommandLine(new CoordinatorCommand()).execute("--config", config.toString()));
  }

  /**
   * The privacy section is planned at start (calibration, the guaranteed noise shares): settings
   * that cannot work are a config error, not a stack trace. With 3 sites a secure sum may hold only
   * t = 2 inputs, so 2 assumed colluders leave no honest noise share.
   */
  @Test
  void privacySettingsThatCannotWorkExitWithUsageErrorBeforeListening(@TempDir Path dir) {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test");
    Path kit = dir.resolve("kit");
    ca.issue(new ParticipantIdentity("coordinator", Role.COORDINATOR), kit, List.of("localhost"));
    Path config = kit.resolve("coordinator.yaml");
    CoordinatorConfig.starter("fed", kit, List.of("a", "b", "c"), 4)
        .withListen(new CoordinatorConfig.Endpoint("127.0.0.1", 0))
        .withPrivacy(
            new CoordinatorConfig.Privacy(
                "distributed", null, null, 1.0, null, 1.0, 0.1, 10.0, null, null, 2, null))
        .write(config);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream before = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(
          2, new CommandLine(new CoordinatorCommand()).execute("--config", config.toString()));
    } finally {
      System.setErr(before);
    }
    String printed = err.toString(StandardCharsets.UTF_8);
    // Log lines may precede it; the error itself is one line and no stack trace follows.
    assertEquals(
        1,
        printed
            .lines()
            .filter(l -> l.startsWith("invalid configuration: privacy.colluders: "))
            .count(),
        printed);
    assertTrue(printed.lines().noneMatch(l -> l.startsWith("\tat ")), printed);
  }
}
