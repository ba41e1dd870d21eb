package org.cohort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareBreastCancerCommandTest {

  /** CI fetches it with scripts/fetch-real-data.sh; surefire runs in the module directory. */
  private static final Path REAL_DATA = Path.of("../data/real/breast_cancer.csv");

  @Test
  void theRealDataBecomesNamedColumnsAMalignantLabelAndSkewedSites(@TempDir Path dir)
      throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(REAL_DATA), "run scripts/fetch-real-data.sh first");
    Path out = dir.resolve("sites.csv");
    Cli run =
        Cli.run(
            "prepare-breast-cancer",
            "--input",
            REAL_DATA.toString(),
            "--out",
            out.toString(),
            "--sites",
            "4",
            "--seed",
            "1");
    assertEquals(0, run.exitCode(), run.err());

    List<String> lines = Files.readAllLines(out);
    assertEquals(570, lines.size());
    List<String> header = List.of(lines.get(0).split(","));
    assertEquals(32, header.size());
    assertEquals("site", header.get(0));
    assertEquals("mean_radius", header.get(1));
    assertEquals("worst_fractal_dimension", header.get(30));
    assertEquals("malignant", header.get(31));
    Map<String, int[]> sites = countBySite(lines);
    assertEquals(4, sites.size());
    assertEquals(
        212,
        sites.values().stream().mapToInt(c -> c[1]).sum(),
        "the WDBC data has 212 malignant tumours");
    // The first source row (mean radius 17.99) is a malignant tumour: the label is flipped to 1.
    assertTrue(lines.get(1).contains(",17.99,") && lines.get(1).endsWith(",1"), lines.get(1));
    assertLabelSkew(sites);
  }

  @Test
  void sitesGetExactSkewedQuotasAndTheSameSeedGivesTheSameFile(@TempDir Path dir) throws Exception {
    Path input = fakeSource(dir);
    Path first = dir.resolve("first.csv");
    Path second = dir.resolve("second.csv");
    assertEquals(
        0,
        Cli.run(
                "prepare-breast-cancer",
                "--input",
                input.toString(),
                "--out",
                first.toString(),
                "--sites",
                "3",
                "--seed",
                "9")
            .exitCode());
    assertEquals(
        0,
        Cli.run(
                "prepare-breast-cancer",
                "--input",
                input.toString(),
                "--out",
                second.toString(),
                "--sites",
                "3",
                "--seed",
                "9")
            .exitCode());
    assertEquals(Files.readAllLines(first), Files.readAllLines(second));

    Map<String, int[]> sites = countBySite(Files.readAllLines(first));
    assertEquals(List.of("site-a", "site-b", "site-c"), List.copyOf(sites.keySet()));
    // 212 malignant dealt 4:2:1, 357 benign dealt 1:4:9 (largest remainder).
    assertEquals(121, sites.get("site-a")[1]);
    assertEquals(61, sites.get("site-b")[1]);
    assertEquals(30, sites.get("site-c")[1]);
    assertEquals(121 + 26, sites.get("site-a")[0]);
    assertLabelSkew(sites);
  }

  @Test
  void aMissingSourceIsAOneLineUsageErrorPointingAtTheFetchScript(@TempDir Path dir) {
    Cli bad =
        Cli.run(
            "prepare-breast-cancer",
            "--input",
            dir.resolve("absent.csv").toString(),
            "--out",
            dir.resolve("out.csv").toString());
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.errLines().size(), bad.err());
    assertTrue(bad.err().contains("fetch-real-data.sh"), bad.err());
  }

  @Test
  void aFileInAnotherFormatIsRefused(@TempDir Path dir) throws Exception {
    Path other = Files.writeString(dir.resolve("other.csv"), "a,b,c\n1,2,3\n");
    Cli bad =
        Cli.run(
            "prepare-breast-cancer",
            "--input",
            other.toString(),
            "--out",
            dir.resolve("o.csv").toString());
    assertEquals(2, bad.exitCode());
    assertEquals(1, bad.errLines().size(), bad.err());
  }

  /** Malignant share falls steeply from the first site to the last. */
  private static void assertLabelSkew(Map<String, int[]> sites) {
    double previous = 1.01;
    for (Map.Entry<String, int[]> site : sites.entrySet()) {
      double share = (double) site.getValue()[1] / site.getValue()[0];
      assertTrue(share < previous, site.getKey() + " malignant share " + share);
      previous = share;
    }
    int[] first = sites.values().iterator().next();
    assertTrue((double) first[1] / first[0] > 0.75, "the first site should be mostly malignant");
    assertTrue(previous < 0.25, "the last site should be mostly benign");
  }

  /** Rows and malignant rows per site, sites in name order. */
  private static Map<String, int[]> countBySite(List<String> lines) {
    Map<String, int[]> counts = new TreeMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] fields = line.split(",");
      int[] c = counts.computeIfAbsent(fields[0], s -> new int[2]);
      c[0]++;
      c[1] += Integer.parseInt(fields[fields.length - 1]);
    }
    return counts;
  }

  /**
   * A file in scikit-learn's format: 212 malignant (target 0) and 357 benign rows of random values.
   */
  private static Path fakeSource(Path dir) throws Exception {
    SplittableRandom random = new SplittableRandom(2);
    List<String> lines = new ArrayList<>(List.of("569,30,malignant,benign"));
    for (int i = 0; i < 569; i++) {
      StringBuilder row = new StringBuilder();
      for (int j = 0; j < 30; j++) {
        row.append(String.format(Locale.ROOT, "%.4f,", random.nextDouble() * 10));
      }
      lines.add(row.append(i < 212 ? 0 : 1).toString());
    }
    return Files.write(dir.resolve("breast_cancer.csv"), lines);
  }
}
