package org.cohort.auditor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AuditorCommandTest {

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = AuditorCommand.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  // Opacus accountants_test.py test_rdp_accountant: sigma 1.5, q 0.04, 2250 steps, delta 1e-5
  // -> epsilon 7.32911117143
  // (https://github.com/pytorch/opacus/blob/main/opacus/tests/accountants_test.py).
  @Test
  void epsilonPrintsPublishedValueAndOrder() {
    Run run =
        run(
            "epsilon",
            "--noise-multiplier",
            "1.5",
            "--sampling-rate",
            "0.04",
            "--steps",
            "2250",
            "--delta",
            "1e-5");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("epsilon = 7.329111171"), run.out());
    assertTrue(run.out().contains("optimal Renyi order = 3.9"), run.out());
  }

  @Test
  void epsilonJsonHasTheFields() throws Exception {
    Run run =
        run(
            "epsilon",
            "--noise-multiplier",
            "1.5",
            "--sampling-rate",
            "0.04",
            "--steps",
            "2250",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(0, run.exitCode(), run.err());
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertEquals(7.32911117143, json.get("epsilon").asDouble(), 1e-10);
    assertEquals(1e-5, json.get("delta").asDouble());
    assertEquals(3.9, json.get("order").asDouble());
    assertEquals(1, run.out().strip().lines().count());
  }

  @Test
  void noSubsamplingUsesTheGaussianClosedForm() throws Exception {
    // q = 1: RDP(alpha) = alpha / (2 sigma^2); the CLI must agree with the library's q = 1 path.
    Run run =
        run(
            "epsilon",
            "--noise-multiplier",
            "4.530877117",
            "--sampling-rate",
            "1",
            "--steps",
            "1",
            "--delta",
            "1e-6",
            "--json");
    assertEquals(0, run.exitCode(), run.err());
    double eps = new ObjectMapper().readTree(run.out()).get("epsilon").asDouble();
    // The default grid is coarser than the 0.001 grid that gives exactly 1.0 in dp_accounting's
    // test.
    assertTrue(eps >= 1.0 && eps < 1.01, "epsilon " + eps);
  }

  @Test
  void calibrateRoundTripsThroughEpsilon() throws Exception {
    Run calibrate =
        run(
            "calibrate",
            "--epsilon",
            "3",
            "--sampling-rate",
            "0.01",
            "--steps",
            "1000",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(0, calibrate.exitCode(), calibrate.err());
    JsonNode json = new ObjectMapper().readTree(calibrate.out());
    double sigma = json.get("noise_multiplier").asDouble();
    assertTrue(json.get("epsilon").asDouble() <= 3);
    assertTrue(json.has("delta") && json.has("order"));

    Run check =
        run(
            "epsilon",
            "--noise-multiplier",
            Double.toString(sigma),
            "--sampling-rate",
            "0.01",
            "--steps",
            "1000",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(
        json.get("epsilon").asDouble(),
        new ObjectMapper().readTree(check.out()).get("epsilon").asDouble(),
        0);
  }

  @Test
  void calibrateTextOutput() {
    Run run =
        run(
            "calibrate",
            "--epsilon",
            "8",
            "--sampling-rate",
            "0.04",
            "--steps",
            "2250",
            "--delta",
            "1e-5");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("noise multiplier = 1.41578"), run.out());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "epsilon --noise-multiplier 1 --sampling-rate 0 --steps 10 --delta 1e-5 | --sampling-rate must be in (0, 1]",
        "epsilon --noise-multiplier 1 --sampling-rate 1.5 --steps 10 --delta 1e-5 | --sampling-rate must be in (0, 1]",
        "epsilon --noise-multiplier 0 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --noise-multiplier must be > 0",
        "epsilon --noise-multiplier -2 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --noise-multiplier must be > 0",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 0 --delta 1e-5 | --steps must be >= 1",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta 0 | --delta must be in (0, 1)",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta 1 | --delta must be in (0, 1)",
        "epsilon --noise-multiplier abc --sampling-rate 0.1 --steps 10 --delta 1e-5 | abc",
        "epsilon --sampling-rate 0.1 --steps 10 --delta 1e-5 | --noise-multiplier",
        "calibrate --epsilon 0 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --epsilon must be > 0",
        "calibrate --epsilon 1 --sampling-rate 2 --steps 10 --delta 1e-5 | --sampling-rate must be in (0, 1]",
        "calibrate --epsilon 1 --sampling-rate 0.1 --steps -3 --delta 1e-5 | --steps must be >= 1",
        "calibrate --epsilon 1 --sampling-rate 0.1 --steps 10 --delta 2 | --delta must be in (0, 1)",
        "frobnicate | frobnicate",
        "epsilon --noise-multiplier NaN --sampling-rate 0.1 --steps 10 --delta 1e-5 | --noise-multiplier must be > 0",
        "epsilon --noise-multiplier Infinity --sampling-rate 0.1 --steps 10 --delta 1e-5 | --noise-multiplier must be > 0",
        "epsilon --noise-multiplier 1 --sampling-rate NaN --steps 10 --delta 1e-5 | --sampling-rate must be in (0, 1]",
        "epsilon --noise-multiplier 1 --sampling-rate -0.1 --steps 10 --delta 1e-5 | --sampling-rate must be in (0, 1]",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta NaN | --delta must be in (0, 1)",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta -Infinity | --delta must be in (0, 1)",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 1e3 --delta 1e-5 | 1e3",
        "epsilon --noise-multiplier 1 --steps 10 --delta 1e-5 | --sampling-rate",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --delta 1e-5 | --steps",
        "epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 | --delta",
        "epsilon --mechanism laplace --sampling-rate 0.1 --steps 10 --delta 1e-5 | laplace",
        "epsilon --mechanism ddg --sampling-rate 0.1 --steps 10 --delta 1e-5 | missing option --l2-sensitivity",
        "epsilon --mechanism ddg --l2-sensitivity 1 --l1-sensitivity 1 --share-sigma 0.2 --shares 2 --dimension 3 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --share-sigma must be >= 0.5",
        "epsilon --mechanism ddg --l2-sensitivity 1 --l1-sensitivity 1 --share-sigma 2 --shares 0 --dimension 3 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --shares must be >= 1",
        "epsilon --mechanism ddg --l2-sensitivity 1 --l1-sensitivity 1 --share-sigma 2 --shares 2 --sampling-rate 0.1 --steps 10 --delta 1e-5 | missing option --dimension",
        "epsilon --mechanism skellam --l2-sensitivity 1 --l1-sensitivity -1 --variance 10 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --l1-sensitivity must be > 0",
        "epsilon --mechanism skellam --l2-sensitivity 1 --l1-sensitivity 1 --variance NaN --sampling-rate 0.1 --steps 10 --delta 1e-5 | --variance must be > 0",
        "epsilon --mechanism skellam --l2-sensitivity 1 --l1-sensitivity 1 --sampling-rate 0.1 --steps 10 --delta 1e-5 | missing option --variance",
        "epsilon --mechanism skellam --accountant pld --l2-sensitivity 1 --l1-sensitivity 1 --variance 10 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --accountant pld supports only",
        "epsilon --accountant pld --discretization 0 --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta 1e-5 | --discretization must be in (0, 0.1]",
        "epsilon --accountant pld --noise-multiplier 0.001 --sampling-rate 0.5 --steps 10 --delta 1e-5 | too fine",
        "calibrate --epsilon NaN --sampling-rate 0.1 --steps 10 --delta 1e-5 | --epsilon must be > 0",
        "calibrate --epsilon Infinity --sampling-rate 0.1 --steps 10 --delta 1e-5 | --epsilon must be > 0",
        "calibrate --sampling-rate 0.1 --steps 10 --delta 1e-5 | --epsilon",
        "calibrate --epsilon 1e-9 --sampling-rate 1 --steps 1000 --delta 1e-10 | no noise multiplier",
      })
  void badArgumentsGetOneLineAndExitCode2(String commandLine, String expectedMessage) {
    Run run = run(commandLine.split(" "));
    assertEquals(2, run.exitCode(), run.out() + run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertTrue(run.err().contains(expectedMessage), run.err());
    assertEquals("", run.out());
  }

  @Test
  void missingSubcommandIsAUsageError() {
    Run run = run();
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("missing subcommand"), run.err());
  }

  @Test
  void helpListsSubcommands() {
    Run run = run("--help");
    assertEquals(0, run.exitCode());
    assertTrue(run.out().contains("epsilon") && run.out().contains("calibrate"), run.out());
  }

  @Test
  void unattainableTargetIsReportedNotThrown() {
    Run run =
        run(
            "calibrate",
            "--epsilon",
            "1e-9",
            "--sampling-rate",
            "1",
            "--steps",
            "1000",
            "--delta",
            "1e-10");
    // An unattainable target is bad input like any other: one line, exit 2 (was 1).
    assertEquals(2, run.exitCode());
    assertTrue(run.err().startsWith("calibrate: no noise multiplier"), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }

  // The review's crash cases: fractional orders with A - 1 below 1e-15 (values checked against
  // mpmath in ReviewedNumericsTest), and the small-epsilon calibrations (mpmath: 799.983760351279
  // and 530.502463655455 on the default grid).
  @Test
  void reviewedCasesAnswerInsteadOfCrashing() throws Exception {
    Run longRun =
        run(
            "epsilon",
            "--noise-multiplier",
            "5",
            "--sampling-rate",
            "1e-7",
            "--steps",
            "1000000",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(0, longRun.exitCode(), longRun.err());
    double eps = new ObjectMapper().readTree(longRun.out()).get("epsilon").asDouble();
    assertTrue(eps > 0 && eps < 0.01, longRun.out());
    Run oneStep =
        run(
            "epsilon",
            "--noise-multiplier",
            "5000",
            "--sampling-rate",
            "1e-5",
            "--steps",
            "1",
            "--delta",
            "1e-5");
    assertEquals(0, oneStep.exitCode(), oneStep.err());
    Run small =
        run(
            "calibrate",
            "--epsilon",
            "0.01",
            "--sampling-rate",
            "1",
            "--steps",
            "1",
            "--delta",
            "1e-10",
            "--json");
    assertEquals(0, small.exitCode(), small.err());
    double sigma = new ObjectMapper().readTree(small.out()).get("noise_multiplier").asDouble();
    assertEquals(530.502463655455, sigma, 530.5 * 1e-8);
  }

  // Distributed DP: the CLI recomputes the same epsilon as the library's event for the same
  // parameters (the event's RDP is checked against mpmath in DistributedMechanismsTest).
  @Test
  void distributedMechanismsRecomputeTheLibrarysEpsilon() throws Exception {
    Run ddg =
        run(
            "epsilon",
            "--mechanism",
            "ddg",
            "--l2-sensitivity",
            "10",
            "--l1-sensitivity",
            "40",
            "--share-sigma",
            "2",
            "--shares",
            "50",
            "--dimension",
            "16",
            "--sampling-rate",
            "0.01",
            "--steps",
            "300",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(0, ddg.exitCode(), ddg.err());
    JsonNode ddgJson = new ObjectMapper().readTree(ddg.out());
    assertEquals(
        org.cohort.privacy.accounting.RdpAccountant.create()
            .compose(
                new org.cohort.privacy.accounting.PrivacyEvent.DistributedDiscreteGaussian(
                    0.01, 10, 40, 2, 50, 16, 300))
            .epsilon(1e-5)
            .epsilon(),
        ddgJson.get("epsilon").asDouble(),
        0);
    assertEquals("ddg", ddgJson.get("mechanism").asText());
    Run skellam =
        run(
            "epsilon",
            "--mechanism",
            "skellam",
            "--l2-sensitivity",
            "1000",
            "--l1-sensitivity",
            "30000",
            "--variance",
            "1e8",
            "--sampling-rate",
            "0.01",
            "--steps",
            "1000",
            "--delta",
            "1e-5");
    assertEquals(0, skellam.exitCode(), skellam.err());
    assertTrue(skellam.out().startsWith("epsilon = 0.48437"), skellam.out());
  }

  // PLD: tighter than RDP on the TF Privacy setting of PldAccountantTest (published 2.4612381).
  @Test
  void pldAccountantIsSelectable() throws Exception {
    Run pld =
        run(
            "epsilon",
            "--accountant",
            "pld",
            "--discretization",
            "1e-3",
            "--noise-multiplier",
            "0.7",
            "--sampling-rate",
            "0.01",
            "--steps",
            "120",
            "--delta",
            "1e-5",
            "--json");
    assertEquals(0, pld.exitCode(), pld.err());
    double eps = new ObjectMapper().readTree(pld.out()).get("epsilon").asDouble();
    assertEquals(2.4612381, eps, 1e-4);
    assertTrue(eps < 3.23919219391, "below the RDP value");
  }
}
