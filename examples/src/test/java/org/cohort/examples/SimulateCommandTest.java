package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
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
        lines.add(String.format(Locale.ROOT, "%s,%.4f,%s,%s,%d", sites[s], x1, x2Text, COLORS[color], outcome));
      }
    }
    return Files.write(dir.resolve("skewed.csv"), lines);
  }

  @Test
  void federationOverACsvIsAtLeastAsGoodAsTheWorstSiteAlone(@TempDir Path dir) throws Exception {
    Path csv = skewedCsv(dir);
    Path json = dir.resolve("result.json");
    Cli run = Cli.run("simulate", "--data", csv.toString(), "--site-column", "hospital", "--label-column", "outcome",
        "--categorical", "color", "--missing-value", "NA", "--rounds", "8", "--seed", "3", "--json", json.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("pooled centrally"), run.out());
    assertTrue(run.out().contains("Secure aggregation: on"), run.out());

    JsonNode result = new ObjectMapper().readTree(json.toFile());
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
        lines.add(String.format(Locale.ROOT, "%s,%.4f,%d", site, x, random.nextDouble() < 1 / (1 + Math.exp(-3 * x)) ? 1 : 0));
      }
    }
    Path csv = Files.write(dir.resolve("two-sites.csv"), lines);
    Cli run = Cli.run("simulate", "--data", csv.toString(), "--rounds", "2");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Secure aggregation: off"), run.out());
    assertTrue(run.out().contains("round   2/2  2 sites"), run.out());
  }

  @Test
  void aMissingSiteColumnIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Cli bad = Cli.run("simulate", "--data", skewedCsv(dir).toString(), "--site-column", "clinic",
        "--label-column", "outcome", "--categorical", "color");
    assertUsageError(bad, "--site-column: 'clinic' is not a column");
  }

  @Test
  void aMissingLabelColumnIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Cli bad = Cli.run("simulate", "--data", skewedCsv(dir).toString(), "--site-column", "hospital",
        "--label-column", "died", "--categorical", "color");
    assertUsageError(bad, "--label-column: 'died' is not a column");
  }

  @Test
  void aLabelOtherThanZeroOrOneIsAOneLineUsageErrorThatDoesNotQuoteTheValue(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("bad-label.csv"),
        "site,x,y\na,1.0,0\na,2.0,1\na,1.5,0\na,2.5,1\nb,1.0,0\nb,2.0,yes-7731\nb,3.0,1\nb,0.5,0\n");
    Cli bad = Cli.run("simulate", "--data", csv.toString(), "--label-column", "y");
    assertUsageError(bad, "label must be 0 or 1");
    assertTrue(!bad.err().contains("yes-7731"), "the cell value leaked: " + bad.err());
  }

  @Test
  void aSingleSiteIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("one-site.csv"), "site,x,label\na,1,0\na,2,1\na,3,0\na,4,1\n");
    assertUsageError(Cli.run("simulate", "--data", csv.toString()), "a federation needs at least 2 sites");
  }

  @Test
  void aNonNumericFeatureThatIsNotDeclaredCategoricalIsAOneLineUsageError(@TempDir Path dir) throws Exception {
    Cli bad = Cli.run("simulate", "--data", skewedCsv(dir).toString(), "--site-column", "hospital",
        "--label-column", "outcome", "--missing-value", "NA");
    assertUsageError(bad, "column 'color'");
  }

  @Test
  void aMissingFileIsAOneLineUsageError(@TempDir Path dir) {
    assertUsageError(Cli.run("simulate", "--data", dir.resolve("absent.csv").toString()), "is not a readable file");
  }

  private static void assertUsageError(Cli result, String expected) {
    assertEquals(2, result.exitCode(), result.err());
    assertEquals(1, result.errLines().size(), result.err());
    assertTrue(result.err().contains(expected), result.err());
  }
}
