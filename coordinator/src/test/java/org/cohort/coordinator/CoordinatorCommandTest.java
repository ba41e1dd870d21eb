package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
