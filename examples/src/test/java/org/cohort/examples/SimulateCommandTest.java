package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulation tool: a real loopback federation over a CSV file, and its input errors. */
class SimulateCommandTest {

  private static final String[] COLORS = {"red", "green", "blue"};

  /**
   * Three sites of different sizes with label skew: the outcome depends on x1, x2 and colour the
   * same way everywhere, but each site sees a shifted slice of x1 (so very different prevalence).
   * Some x2 cells are missing ("NA").
   */
  static Path skewedCsv(Path dir) throws IOException {
    return Files.write(dir.resolve("skewed.csv"), skewedRows());
  }

  /** {@link #skewedCsv}'s lines: a header, then each site's rows in turn. */
  private static List<String> skewedRows() {
    SplittableRandom random = new SplittableRandom(5);
    List<String> lines = new ArrayList<>();
    lines.add("hospital,x1,x2,color,outcome");
    String[] sites = {"north", "south", "east"};
    int[] sizes = {240, 120, 90};
    double[] x1Shift = {1.0, 0.0, -1.0};
    for (int s = 0; s < sites.length; s++) {
      for (int i = 0; i < sizes[s]; i++) {
        double x1 = x1Shift[s] + random.nextGaussian();
        double x2 = random.nextGaussian();
        int color = random.nextInt(COLORS.length);
        double z = 1.8 * x1 - 1.2 * x2 + (color == 0 ? 0.8 : 0) - 0.3;
        int outcome = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
        String x2Text = random.nextDouble() < 0.05 ? "NA" : String.format(Locale.ROOT, "%.4f", x2);
        lines.add(
            String.format(
                Locale.ROOT, "%s,%.4f,%s,%s,%d", sites[s], x1, x2Text, COLORS[color], outcome));
      }
    }
    return lines;
  }

  /**
   * {@link #skewedCsv} with a {@code part} column: every fourth row of the file is {@code test} (25
   * %, unstratified, so no --holdout draw could pick the same rows).
   */
  static Path skewedCsvWithSplit(Path dir, String testValue) throws IOException {
    List<String> rows = skewedRows();
    List<String> lines = new ArrayList<>(List.of(rows.get(0) + ",part"));
    for (int i = 1; i < rows.size(); i++) {
      lines.add(rows.get(i) + "," + (i % 4 == 0 ? testValue : "train"));
    }
    return Files.write(dir.resolve("skewed-split.csv"), lines);
  }

  /** Test rows per site in {@link #skewedCsvWithSplit}, counted from the file itself. */
  private static Map<String, Integer> testRowsPerSite(Path csv) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    List<String> lines = Files.readAllLines(csv);
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      counts.merge(cells[0], cells[cells.length - 1].equals("test") ? 1 : 0, Integer::sum);
    }
    return counts;
  }

  @Test
  void federationOverACsvIsAtLeastAsGoodAsTheWorstSiteAlone(@TempDir Path dir) throws Exception {
    Path csv = skewedCsv(dir);
    Path json = dir.resolve("result.json");
    Cli run =
        Cli.run(
            "simulate",
            "--data",
            csv.toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--rounds",
            "8",
            "--seed",
            "3",
            "--dp",
            "off",
            "--json",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Differential privacy: off"), run.out());
    assertTrue(run.out().contains("pooled centrally"), run.out());
    assertTrue(run.out().contains("Secure aggregation: on"), run.out());
    assertTrue(run.out().contains("Cross-site evaluation"), run.out());
    assertFalse(
        run.out().contains("Each site's own test rows"),
        "the per-site table is for a fixed split only");

    JsonNode result = new ObjectMapper().readTree(json.toFile());
    assertEquals("fedavg", result.get("strategy").get("name").asText());
    assertEquals("off", result.get("privacy").get("mode").asText());
    JsonNode evaluation = result.get("cross_site_evaluation");
    List<String> evaluated = new ArrayList<>();
    long evaluatedRows = 0;
    for (JsonNode site : evaluation.get("sites")) {
      evaluated.add(site.get("site").asText());
      evaluatedRows += site.get("examples").asLong();
      assertTrue(site.get("auroc").asDouble() > 0.5, site.toString());
    }
    assertEquals(List.of("east", "north", "south"), evaluated, "every site, under its own name");
    assertEquals(result.get("comparison").get("test_rows").asLong(), evaluatedRows);
    assertTrue(evaluation.get("mean_over_sites").get("accuracy").isNumber(), evaluation.toString());
    JsonNode comparison = result.get("comparison");
    assertEquals(3, comparison.get("local").size());
    assertEquals(8, result.get("round_history").size());
    for (JsonNode round : result.get("round_history")) {
      assertEquals("completed", round.get("status").asText());
      assertEquals(3, round.get("contributions").asInt());
    }
    double federated = comparison.get("federated").get("auroc").asDouble();
    double worstLocal = 1;
    for (JsonNode local : comparison.get("local")) {
      worstLocal = Math.min(worstLocal, local.get("auroc").asDouble());
    }
    assertTrue(federated >= worstLocal, "federated " + federated + " < worst local " + worstLocal);
    assertTrue(federated > 0.75, "federated AUROC " + federated);
    // Every site's held-out rows are in the common test set: 30 % of 450, stratified per site.
    assertEquals(135, comparison.get("test_rows").asInt(), 3);
  }

  @Test
  void twoSitesFederateWithoutSecureAggregationWhichNeedsThree(@TempDir Path dir) throws Exception {
    SplittableRandom random = new SplittableRandom(8);
    List<String> lines = new ArrayList<>(List.of("site,x,label"));
    for (String site : new String[] {"a", "b"}) {
      for (int i = 0; i < 40; i++) {
        double x = random.nextGaussian();
        lines.add(
            String.format(
                Locale.ROOT,
                "%s,%.4f,%d",
                site,
                x,
                random.nextDouble() < 1 / (1 + Math.exp(-3 * x)) ? 1 : 0));
      }
    }
    Path csv = Files.write(dir.resolve("two-sites.csv"), lines);
    Cli run = Cli.run("simulate", "--data", csv.toString(), "--rounds", "2");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Secure aggregation: off"), run.out());
    assertTrue(
        run.out().contains("Differential privacy: off (it needs secure aggregation"), run.out());
    assertTrue(run.out().contains("round   2/2  2 sites"), run.out());

    // Without secure aggregation privacy is off unless asked for, so its settings are a mistake.
    assertUsageError(
        Cli.run("simulate", "--data", csv.toString(), "--epsilon", "3"),
        "--epsilon only apply with differential privacy, which is off (no secure aggregation);"
            + " give --dp central or local");
  }

  @Test
  void privacyIsOnByDefaultUnderSecureAggregationAndEverySiteReportsWhatItSpent(@TempDir Path dir)
      throws Exception {
    Path json = dir.resolve("private.json");
    Cli run =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--rounds",
            "3",
            "--epsilon",
            "2",
            "--sampling-rate",
            "0.25",
            "--json",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    // B = q x the three sites' training rows (30 % of each held out, stratified).
    JsonNode result = new ObjectMapper().readTree(json.toFile());
    long trainingRows = 0;
    for (JsonNode site : result.get("sites")) {
      trainingRows += site.get("training_rows").asLong();
    }
    assertTrue(
        run.out().contains("Differential privacy: distributed, the patient as the unit"),
        run.out());
    assertTrue(run.out().contains("B = q x " + trainingRows + " training rows"), run.out());
    assertTrue(run.out().contains("round   3/3  3 sites  eval withheld"), run.out());

    JsonNode privacy = result.get("privacy");
    assertEquals("distributed", privacy.get("mode").asText());
    assertEquals(3, privacy.get("rounds").asInt());
    assertEquals(0.25, privacy.get("sampling_rate").asDouble());
    assertEquals(1e-5, privacy.get("delta").asDouble());
    assertEquals(20, privacy.get("bits").asInt());
    assertEquals(0.25 * trainingRows, privacy.get("expected_batch_size").asDouble(), 1e-9);
    assertTrue(privacy.get("noise_multiplier").asDouble() > 0, privacy.toString());
    // Calibrated to the target: at most 2, and not far below it.
    double planned = privacy.get("epsilon").asDouble();
    assertTrue(planned <= 2 && planned > 1.9, privacy.toString());

    // Every site accounted for its own three releases and reached the planned guarantee.
    assertTrue(run.out().contains("Privacy spent, from each site's own accounting"), run.out());
    List<String> sites = new ArrayList<>();
    for (JsonNode site : privacy.get("spent_by_site")) {
      sites.add(site.get("site").asText());
      assertEquals(planned, site.get("epsilon").asDouble(), 1e-9 * planned, site.toString());
      assertTrue(
          run.out()
              .lines()
              .anyMatch(
                  line ->
                      line.startsWith(site.get("site").asText() + " ")
                          && line.contains(
                              String.format(Locale.ROOT, "%.4f", site.get("epsilon").asDouble()))),
          run.out());
    }
    assertEquals(List.of("east", "north", "south"), sites);
    // No metric travels during private rounds; the final cross-site evaluation still does.
    for (JsonNode round : result.get("round_history")) {
      assertTrue(round.get("eval_loss").isNull(), round.toString());
    }
    assertEquals(3, result.get("cross_site_evaluation").get("sites").size());
  }

  @Test
  void badPrivacySettingsAreOneLineUsageErrors(@TempDir Path dir) throws Exception {
    String csv = skewedCsv(dir).toString();
    String[] columns = {
      "--site-column",
      "hospital",
      "--label-column",
      "outcome",
      "--categorical",
      "color",
      "--missing-value",
      "NA"
    };
    assertUsageError(
        simulate(csv, columns, "--dp", "secret"),
        "Invalid value for option '--dp': 'secret' is not a privacy mode; choose one of off,"
            + " distributed, central, local");
    assertUsageError(
        simulate(csv, columns, "--epsilon", "3", "--noise-multiplier", "1"),
        "--epsilon and --noise-multiplier both set the noise; give one");
    assertUsageError(
        simulate(csv, columns, "--dp", "central", "--bits", "16"),
        "--bits only applies to --dp distributed");
    assertUsageError(
        simulate(csv, columns, "--dp", "local", "--dp-learning-rate", "0"),
        "--dp-learning-rate must be positive");
    // The coordinator's own checks, in its words.
    assertUsageError(
        simulate(csv, columns, "--epsilon", "-1"),
        "invalid coordinator configuration: privacy.epsilon must be a positive number");
    assertUsageError(
        simulate(csv, columns, "--dp", "distributed", "--secure-aggregation", "off"),
        "invalid coordinator configuration: privacy.mode distributed needs secure aggregation"
            + " (secure_aggregation.enabled: true)");
    Cli tooFewBits = simulate(csv, columns, "--bits", "8");
    assertEquals(2, tooFewBits.exitCode(), tooFewBits.err());
    assertEquals(1, tooFewBits.errLines().size(), tooFewBits.err());
    assertTrue(
        tooFewBits.err().startsWith("cohort simulate: invalid coordinator configuration: privacy:"),
        tooFewBits.err());
  }

  private static Cli simulate(String csv, String[] columns, String... options) {
    List<String> args = new ArrayList<>(List.of("simulate", "--data", csv));
    args.addAll(List.of(columns));
    args.addAll(List.of(options));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  void aSplitColumnFixesExactlyWhichRowsEverySiteHoldsOut(@TempDir Path dir) throws Exception {
    Path csv = skewedCsvWithSplit(dir, "test");
    Path json = dir.resolve("result.json");
    Cli run =
        Cli.run(
            "simulate",
            "--data",
            csv.toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--split-column",
            "part",
            "--rounds",
            "3",
            "--json",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("3 feature columns"), "part is not a feature: " + run.out());
    assertTrue(run.out().contains("Each site's own test rows"), run.out());

    JsonNode result = new ObjectMapper().readTree(json.toFile());
    assertEquals("part", result.get("split").get("column").asText());
    Map<String, Integer> expected = testRowsPerSite(csv);
    Map<String, Integer> reported = new TreeMap<>();
    result
        .get("sites")
        .forEach(site -> reported.put(site.get("site").asText(), site.get("test_rows").asInt()));
    assertEquals(expected, reported);
    // The site agents evaluated the final model on those very rows: their counts and figures are
    // the
    // federated model's per-site scores computed here from the file's split.
    Map<String, JsonNode> perSite = new TreeMap<>();
    result
        .get("comparison")
        .get("federated")
        .get("per_site_test")
        .forEach(s -> perSite.put(s.get("site").asText(), s));
    for (JsonNode site : result.get("cross_site_evaluation").get("sites")) {
      JsonNode own = perSite.get(site.get("site").asText());
      assertEquals(
          expected.get(site.get("site").asText()).longValue(),
          site.get("examples").asLong(),
          site.toString());
      assertEquals(
          own.get("auroc").asDouble(), site.get("auroc").asDouble(), 1e-6, site + " vs " + own);
      assertEquals(
          own.get("accuracy").asDouble(),
          site.get("accuracy").asDouble(),
          1e-9,
          site + " vs " + own);
    }
    assertEquals(
        expected.values().stream().mapToInt(Integer::intValue).sum(),
        result.get("comparison").get("test_rows").asInt());
  }

  @Test
  void aSplitValueOtherThanTrainOrTestIsAOneLineUsageErrorNamingColumnAndLine(@TempDir Path dir)
      throws Exception {
    Cli bad =
        Cli.run(
            "simulate",
            "--data",
            skewedCsvWithSplit(dir, "Test").toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--split-column",
            "part");
    // Line 5 is the fourth data row, the first one marked "Test" (values are matched exactly).
    assertUsageError(bad, "line 5: --split-column 'part' holds a value other than train or test");
  }

  @Test
  void aSiteWithoutTestRowsIsAOneLineUsageErrorNamingTheSite(@TempDir Path dir) throws Exception {
    Path csv =
        Files.writeString(
            dir.resolve("no-test.csv"),
            "site,x,label,part\na,1,0,train\na,2,1,test\na,3,0,train\nb,1,0,train\nb,2,1,train\nb,3,1,train\n");
    assertUsageError(
        Cli.run("simulate", "--data", csv.toString(), "--split-column", "part"),
        "site 'b' has no test rows in --split-column 'part'");
  }

  @Test
  void holdoutAndSplitColumnTogetherAreAOneLineUsageError(@TempDir Path dir) throws Exception {
    assertUsageError(
        Cli.run(
            "simulate",
            "--data",
            skewedCsvWithSplit(dir, "test").toString(),
            "--holdout",
            "0.2",
            "--split-column",
            "part"),
        "use one of them");
  }

  @Test
  void aRobustStrategyWithSecureAggregationOnIsTheCoordinatorsOneLineRefusal(@TempDir Path dir)
      throws Exception {
    Cli bad =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--strategy",
            "median",
            "--secure-aggregation",
            "on");
    assertUsageError(
        bad,
        "strategy.name median needs each site's individual update, which secure aggregation hides");
    assertFalse(bad.out().contains("round "), "nothing ran: " + bad.out());
  }

  @Test
  void aRobustStrategyTurnsSecureAggregationOffWithAWarning(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("result.json");
    Cli run =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--strategy",
            "trimmed-mean",
            "--trim-beta",
            "0.1",
            "--rounds",
            "2",
            "--json",
            json.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(
        run.out()
            .contains(
                "warning: secure aggregation is off: trimmed-mean needs each site's own update"),
        run.out());
    assertTrue(run.out().contains("round   2/2  3 sites"), run.out());
    JsonNode result = new ObjectMapper().readTree(json.toFile());
    assertFalse(result.get("secure_aggregation").asBoolean());
    assertEquals("trimmed-mean", result.get("strategy").get("name").asText());
    assertEquals(0.1, result.get("strategy").get("beta").asDouble());
  }

  @Test
  void fedProxWithoutMuIsTheCoordinatorsOneLineRefusal(@TempDir Path dir) throws Exception {
    assertUsageError(
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--categorical",
            "color",
            "--missing-value",
            "NA",
            "--strategy",
            "fedprox"),
        "strategy.mu must be set for fedprox");
  }

  @Test
  void anUnknownStrategyIsAOneLineUsageErrorListingTheNames(@TempDir Path dir) throws Exception {
    assertUsageError(
        Cli.run("simulate", "--data", skewedCsv(dir).toString(), "--strategy", "fedsgd"),
        "'fedsgd' is not a strategy; choose one of fedavg, fedprox");
  }

  @Test
  void aMissingSiteColumnIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Cli bad =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "clinic",
            "--label-column",
            "outcome",
            "--categorical",
            "color");
    assertUsageError(bad, "--site-column: 'clinic' is not a column");
  }

  @Test
  void aMissingLabelColumnIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Cli bad =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "died",
            "--categorical",
            "color");
    assertUsageError(bad, "--label-column: 'died' is not a column");
  }

  @Test
  void aLabelOtherThanZeroOrOneIsAOneLineUsageErrorThatDoesNotQuoteTheValue(@TempDir Path dir)
      throws Exception {
    Path csv =
        Files.writeString(
            dir.resolve("bad-label.csv"),
            "site,x,y\na,1.0,0\na,2.0,1\na,1.5,0\na,2.5,1\nb,1.0,0\nb,2.0,yes-7731\nb,3.0,1\nb,0.5,0\n");
    Cli bad = Cli.run("simulate", "--data", csv.toString(), "--label-column", "y");
    assertUsageError(bad, "label must be 0 or 1");
    assertTrue(!bad.err().contains("yes-7731"), "the cell value leaked: " + bad.err());
  }

  @Test
  void aSingleSiteIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Path csv =
        Files.writeString(
            dir.resolve("one-site.csv"), "site,x,label\na,1,0\na,2,1\na,3,0\na,4,1\n");
    assertUsageError(
        Cli.run("simulate", "--data", csv.toString()), "a federation needs at least 2 sites");
  }

  @Test
  void aNonNumericFeatureThatIsNotDeclaredCategoricalIsAOneLineUsageError(@TempDir Path dir)
      throws Exception {
    Cli bad =
        Cli.run(
            "simulate",
            "--data",
            skewedCsv(dir).toString(),
            "--site-column",
            "hospital",
            "--label-column",
            "outcome",
            "--missing-value",
            "NA");
    assertUsageError(bad, "column 'color'");
  }

  @Test
  void aMissingFileIsAOneLineUsageError(@TempDir Path dir) {
    assertUsageError(
        Cli.run("simulate", "--data", dir.resolve("absent.csv").toString()),
        "is not a readable file");
  }

  private static void assertUsageError(Cli result, String expected) {
    assertEquals(2, result.exitCode(), result.err());
    assertEquals(1, result.errLines().size(), result.err());
    assertTrue(result.err().contains(expected), result.err());
  }
}
