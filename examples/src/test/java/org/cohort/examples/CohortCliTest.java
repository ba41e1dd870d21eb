package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CohortCliTest {

  @Test
  void helpListsEveryCommand() {
    Cli help = Cli.run("--help");
    assertEquals(0, help.exitCode());
    for (String command :
        new String[] {
          "provision", "coordinator", "site", "auditor", "demo", "simulate", "prepare-breast-cancer"
        }) {
      assertTrue(
          help.out().contains("  " + command + " "), command + " missing from:\n" + help.out());
    }
  }

  @Test
  void delegatedCommandsKeepTheirHelpAndExitCodes() {
    Cli auditorHelp = Cli.run("auditor", "--help");
    assertEquals(0, auditorHelp.exitCode());
    assertTrue(auditorHelp.out().contains("epsilon"), auditorHelp.out());
    Cli provisionHelp = Cli.run("provision", "init", "--help");
    assertEquals(0, provisionHelp.exitCode());
    assertTrue(provisionHelp.out().contains("--coordinator-host"), provisionHelp.out());
  }

  @Test
  void auditorEpsilonWithBadArgumentsExitsTwoWithOneLine() {
    Cli bad = Cli.run("auditor", "epsilon", "--noise-multiplier", "-1");
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.errLines().size(), bad.err());
  }

  @Test
  void coordinatorWithoutConfigExitsTwoWithOneLine() {
    Cli bad = Cli.run("coordinator");
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.errLines().size(), bad.err());
    assertTrue(bad.err().contains("--config"), bad.err());
  }

  @Test
  void unknownCommandOrNoCommandExitsTwo() {
    Cli unknown = Cli.run("train-everything");
    assertEquals(2, unknown.exitCode());
    assertEquals(1, unknown.errLines().size(), unknown.err());
    assertEquals(2, Cli.run().exitCode());
  }

  @Test
  void demoRefusesTooFewHospitalsBeforeTouchingTheDisk() {
    Cli bad = Cli.run("demo", "--hospitals", "3", "--work-dir", "target/never-created");
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().contains("--hospitals must be between 4 and 5"), bad.err());
    assertFalse(Files.exists(Path.of("target/never-created")));
  }

  @Test
  void demoRefusesAStrategyTheCoordinatorWouldRefuseBeforeTouchingTheDisk() {
    Cli bad = Cli.run("demo", "--strategy", "krum", "--work-dir", "target/never-created");
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.errLines().size(), bad.err());
    assertTrue(bad.err().contains("strategy.byzantine must be set for krum"), bad.err());
    assertFalse(Files.exists(Path.of("target/never-created")));
  }

  @Test
  void demoRefusesPrivacySettingsThatCannotWorkBeforeTouchingTheDisk() {
    // Calibrated as the coordinator will: 8 bits cannot carry the default job's secure sum.
    Cli tooFewBits = Cli.run("demo", "--bits", "8", "--work-dir", "target/never-created");
    assertEquals(2, tooFewBits.exitCode(), tooFewBits.err());
    assertEquals(1, tooFewBits.errLines().size(), tooFewBits.err());
    assertTrue(
        tooFewBits.err().startsWith("cohort demo: invalid coordinator configuration: privacy:"),
        tooFewBits.err());
    // A robust strategy runs without secure aggregation, so privacy is off unless asked for.
    Cli offByDefault =
        Cli.run(
            "demo", "--strategy", "median", "--epsilon", "3", "--work-dir", "target/never-created");
    assertEquals(2, offByDefault.exitCode(), offByDefault.err());
    assertTrue(
        offByDefault.err().contains("--epsilon only apply with differential privacy"),
        offByDefault.err());
    Cli distributedWithoutSecureAggregation =
        Cli.run(
            "demo",
            "--strategy",
            "median",
            "--dp",
            "distributed",
            "--work-dir",
            "target/never-created");
    assertEquals(2, distributedWithoutSecureAggregation.exitCode());
    assertEquals(
        1,
        distributedWithoutSecureAggregation.errLines().size(),
        distributedWithoutSecureAggregation.err());
    assertFalse(Files.exists(Path.of("target/never-created")));
  }

  @Test
  void demoNeverWipesADirectoryItDidNotMake(@TempDir Path dir) throws Exception {
    Path precious = Files.writeString(dir.resolve("notes.txt"), "keep me");
    Cli refused = Cli.run("demo", "--work-dir", dir.toString());
    assertEquals(2, refused.exitCode());
    assertEquals(1, refused.errLines().size(), refused.err());
    assertTrue(refused.err().contains("was not made by the demo"), refused.err());
    assertEquals("keep me", Files.readString(precious));
  }
}
