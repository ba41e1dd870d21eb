package org.cohort.examples;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code cohort prepare-breast-cancer}: the Wisconsin Diagnostic Breast Cancer data split over
 * several simulated sites with label skew, ready for {@code cohort simulate}.
 *
 * <p>Site k (0-based) of K receives a share of the malignant rows proportional to 2^(K-1-k) and a
 * share of the benign rows proportional to (k+1)^2, so the first site sees mostly malignant tumours
 * (a referral centre) and the last mostly benign ones (a screening programme), with different
 * sizes. Rows are dealt out in a seeded random order with exact quotas.
 */
@Command(
    name = "prepare-breast-cancer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    version = CohortCli.VERSION,
    header = "Splits the Wisconsin breast cancer data over sites with label skew (for simulate).",
    description = {
      "Writes the Wisconsin Diagnostic Breast Cancer data (569 tumours, 30 features; UCI, CC BY 4.0) as a CSV with "
          + "named columns, a 'malignant' 0/1 label and a 'site' column that deals rows out to sites with very "
          + "different malignant proportions and sizes. Fetch the source with scripts/fetch-real-data.sh.",
      "Then: cohort simulate --data OUT --site-column site --label-column malignant"
    })
public final class PrepareBreastCancerCommand implements Callable<Integer> {

  /** The 30 features in the source file's order (scikit-learn's names, with underscores). */
  public static final List<String> FEATURES = features();

  public static final String LABEL = "malignant";
  public static final String SITE = "site";
  static final int SOURCE_ROWS = 569;

  @Spec CommandSpec spec;

  @Option(
      names = "--input",
      defaultValue = "data/real/breast_cancer.csv",
      paramLabel = "FILE",
      description =
          "scikit-learn's breast_cancer.csv: a line of counts, then 30 values and the target "
              + "(0 = malignant) per row (default: ${DEFAULT-VALUE}).")
  Path input;

  @Option(
      names = "--out",
      defaultValue = "breast-cancer-sites.csv",
      paramLabel = "FILE",
      description = "(default: ${DEFAULT-VALUE})")
  Path out;

  @Option(
      names = "--sites",
      defaultValue = "4",
      paramLabel = "K",
      description = "2..8 (default: ${DEFAULT-VALUE}).")
  int sites;

  @Option(
      names = "--seed",
      defaultValue = "1",
      paramLabel = "S",
      description = "(default: ${DEFAULT-VALUE})")
  long seed;

  /** One source row: its 30 values as written, and whether the tumour is malignant. */
  private record Row(String values, boolean malignant) {}

  @Override
  public Integer call() throws IOException {
    if (sites < 2 || sites > 8) {
      throw new ParameterException(spec.commandLine(), "--sites must be between 2 and 8");
    }
    List<Row> rows = read(input);
    List<Row> malignant = rows.stream().filter(Row::malignant).toList();
    List<Row> benign = rows.stream().filter(r -> !r.malignant()).toList();
    double[] malignantWeights = new double[sites];
    double[] benignWeights = new double[sites];
    for (int k = 0; k < sites; k++) {
      malignantWeights[k] = Math.pow(2, sites - 1 - k);
      benignWeights[k] = (k + 1.0) * (k + 1.0);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int[] malignantSite = deal(malignant.size(), malignantWeights, random);
    int[] benignSite = deal(benign.size(), benignWeights, random);

    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    int[] sizes = new int[sites];
    int[] malignantCounts = new int[sites];
    try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      writer.write(SITE + "," + String.join(",", FEATURES) + "," + LABEL);
      writer.newLine();
      int nextMalignant = 0;
      int nextBenign = 0;
      for (Row row : rows) {
        int site = row.malignant() ? malignantSite[nextMalignant++] : benignSite[nextBenign++];
        sizes[site]++;
        malignantCounts[site] += row.malignant() ? 1 : 0;
        writer.write(siteName(site) + "," + row.values() + "," + (row.malignant() ? 1 : 0));
        writer.newLine();
      }
    }
    PrintWriter printer = spec.commandLine().getOut();
    printer.printf(
        Locale.ROOT,
        "wrote %s: %d rows, %d features, label '%s' (1 = malignant), column '%s'%n",
        out,
        rows.size(),
        FEATURES.size(),
        LABEL,
        SITE);
    for (int k = 0; k < sites; k++) {
      printer.printf(
          Locale.ROOT,
          "  %s: %3d rows, %3.0f%% malignant%n",
          siteName(k),
          sizes[k],
          100.0 * malignantCounts[k] / sizes[k]);
    }
    return 0;
  }

  static String siteName(int index) {
    return "site-" + (char) ('a' + index);
  }

  /**
   * Site of each of {@code n} rows (in row order): exact quotas by largest remainder, assigned in a
   * seeded random order.
   */
  private static int[] deal(int n, double[] weights, SplittableRandom random) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    int[] quota = new int[weights.length];
    double[] remainder = new double[weights.length];
    int assigned = 0;
    for (int k = 0; k < weights.length; k++) {
      double exact = n * weights[k] / total;
      quota[k] = (int) Math.floor(exact);
      remainder[k] = exact - quota[k];
      assigned += quota[k];
    }
    while (assigned < n) {
      int best = 0;
      for (int k = 1; k < weights.length; k++) {
        if (remainder[k] > remainder[best]) {
          best = k;
        }
      }
      quota[best]++;
      remainder[best] = -1;
      assigned++;
    }
    int[] sites = new int[n];
    int position = 0;
    for (int k = 0; k < quota.length; k++) {
      for (int i = 0; i < quota[k]; i++) {
        sites[position++] = k;
      }
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = sites[i];
      sites[i] = sites[j];
      sites[j] = tmp;
    }
    return sites;
  }

  private static List<Row> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(
          file + " does not exist; fetch it with scripts/fetch-real-data.sh");
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).startsWith(SOURCE_ROWS + "," + FEATURES.size() + ",")) {
      throw new InvalidInputException(
          file
              + " does not start with scikit-learn's header line '"
              + SOURCE_ROWS
              + ","
              + FEATURES.size()
              + ",malignant,benign'");
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split(",");
      if (fields.length != FEATURES.size() + 1) {
        throw new InvalidInputException(
            file + ", line " + (i + 1) + ": expected " + (FEATURES.size() + 1) + " fields");
      }
      String target = fields[FEATURES.size()];
      if (!target.equals("0") && !target.equals("1")) {
        throw new InvalidInputException(file + ", line " + (i + 1) + ": the target must be 0 or 1");
      }
      // Source target: 0 = malignant, 1 = benign.
      rows.add(new Row(line.substring(0, line.lastIndexOf(',')), target.equals("0")));
    }
    if (rows.size() != SOURCE_ROWS) {
      throw new InvalidInputException(
          file + " holds " + rows.size() + " rows, expected " + SOURCE_ROWS);
    }
    return rows;
  }

  private static List<String> features() {
    List<String> measures =
        List.of(
            "radius",
            "texture",
            "perimeter",
            "area",
            "smoothness",
            "compactness",
            "concavity",
            "concave_points",
            "symmetry",
            "fractal_dimension");
    List<String> names = new ArrayList<>();
    measures.forEach(m -> names.add("mean_" + m));
    measures.forEach(m -> names.add(m + "_error"));
    measures.forEach(m -> names.add("worst_" + m));
    return List.copyOf(names);
  }
}
