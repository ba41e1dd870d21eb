package org.cohort.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.cohort.site.data.CsvDataSource;
import org.cohort.site.data.CsvSchema;
import org.cohort.site.data.DataConfigException;
import org.cohort.site.data.DataFileException;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.FeatureStatistics;
import org.cohort.site.data.Split;
import org.cohort.site.data.Standardizer;

/**
 * A CSV file holding several sites' rows, told apart by a site column, turned into one {@link
 * SiteData} per distinct site value (sorted, so the order never depends on row order) with the site
 * agent's own connector ({@link CsvDataSource}): features are every column but the site, the label
 * and the split column; categorical vocabularies are the whole file's distinct values, sorted (they
 * are schema, agreed by the federation); each site's rows are split into training and held-out
 * parts, either drawn (stratified, seeded) or as a split column marks them.
 */
public final class CsvCohort {

  /** How continuous features are rescaled. */
  public enum Standardization {
    /**
     * One centre and scale per feature from every site's training statistics merged (count, sum,
     * sum of squares are additive; a real federation would sum them by secure aggregation).
     */
    GLOBAL,
    /** Each site with its own training statistics, as a CSV site agent does on its own. */
    SITE
  }

  /** How each site's rows are divided into training and held-out (test) rows. */
  public sealed interface SplitRule {

    /** Which rows are held out, in a phrase for the printed plan. */
    String describe(long seed);

    ObjectNode toJson();

    /** A stratified draw of this share of each site's rows, seeded by the request's seed. */
    record Holdout(double fraction) implements SplitRule {
      @Override
      public String describe(long seed) {
        return String.format(
            Locale.ROOT,
            "a stratified %.0f%% of each site, drawn with seed %d",
            100 * fraction,
            seed);
      }

      @Override
      public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("holdout", fraction);
      }
    }

    /**
     * As a column of the file says, row by row: exactly {@value #TRAIN} or {@value #TEST}. This is
     * how a published benchmark's split is reproduced exactly.
     */
    record Column(String name) implements SplitRule {
      public static final String TRAIN = "train";
      public static final String TEST = "test";

      @Override
      public String describe(long seed) {
        return "the rows marked " + TEST + " in column '" + name + "'";
      }

      @Override
      public ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("column", name);
      }
    }
  }

  /** What to read and how to split it. */
  public record Request(
      Path file,
      String siteColumn,
      String labelColumn,
      List<String> categorical,
      String missingToken,
      SplitRule split,
      long seed,
      Standardization standardization) {

    /** The split column, if the split is given by one. */
    Optional<String> splitColumn() {
      return split instanceof SplitRule.Column column
          ? Optional.of(column.name())
          : Optional.empty();
    }
  }

  /** The sites, and the encoded feature count (the model's input width). */
  public record Loaded(List<SiteData> sites, int featureCount, List<String> featureColumns) {}

  static final int MIN_ROWS_PER_LABEL = 2;

  private static final CSVFormat FORMAT =
      CSVFormat.RFC4180
          .builder()
          .setHeader()
          .setSkipHeaderRecord(true)
          .setTrim(true)
          .setIgnoreEmptyLines(true)
          .get();

  private CsvCohort() {}

  public static Loaded load(Request request) {
    Survey survey = survey(request);
    Set<String> notFeatures = new HashSet<>(List.of(request.siteColumn(), request.labelColumn()));
    request.splitColumn().ifPresent(notFeatures::add);
    List<String> features = survey.header().stream().filter(c -> !notFeatures.contains(c)).toList();
    if (features.isEmpty()) {
      throw new InvalidInputException(
          request.file()
              + " has no feature columns besides the site, label and split "
              + "columns");
    }
    Map<String, List<String>> vocabularies = new LinkedHashMap<>();
    for (String column : request.categorical()) {
      vocabularies.put(column, List.copyOf(survey.distinctValues().get(column)));
    }
    List<SiteData> raw = new ArrayList<>();
    try {
      int index = 0;
      for (String site : survey.sites()) {
        CsvSchema schema =
            new CsvSchema(
                request.file(),
                features,
                request.labelColumn(),
                vocabularies,
                missingTokens(request),
                Map.of(),
                Optional.of(new CsvSchema.SiteFilter(request.siteColumn(), site)));
        Dataset rows = CsvDataSource.read(schema);
        Split split;
        if (request.split() instanceof SplitRule.Holdout holdout) {
          requireBothLabels(site, rows);
          split = Split.stratified(rows, holdout.fraction(), request.seed() + 1000L * index);
        } else {
          split =
              markedSplit(
                  site, rows, survey.heldOut().get(site), request.splitColumn().orElseThrow());
        }
        raw.add(new SiteData(site, split));
        index++;
      }
    } catch (DataFileException | DataConfigException e) {
      throw new InvalidInputException(e.getMessage(), e);
    }
    List<SiteData> standardized = standardize(raw, request.standardization());
    return new Loaded(standardized, standardized.get(0).split().train().featureCount(), features);
  }

  private static List<SiteData> standardize(List<SiteData> sites, Standardization standardization) {
    if (standardization == Standardization.SITE) {
      return sites.stream()
          .map(
              site ->
                  new SiteData(
                      site.name(),
                      site.split()
                          .map(
                              Standardizer.fromStatistics(
                                      FeatureStatistics.of(site.split().train()))
                                  ::apply)))
          .toList();
    }
    FeatureStatistics merged = FeatureStatistics.of(sites.get(0).split().train());
    for (SiteData site : sites.subList(1, sites.size())) {
      merged = merged.merge(FeatureStatistics.of(site.split().train()));
    }
    Standardizer global = Standardizer.fromStatistics(merged);
    return sites.stream()
        .map(site -> new SiteData(site.name(), site.split().map(global::apply)))
        .toList();
  }

  /**
   * {@code rows} divided as the split column marked them ({@code heldOut} is in file order, like
   * the rows).
   */
  private static Split markedSplit(
      String site, Dataset rows, List<Boolean> heldOut, String column) {
    if (heldOut.size() != rows.rows()) {
      // Both passes read the same file with the same CSV format; only a file changed in between
      // differs.
      throw new IllegalStateException(
          "site '"
              + site
              + "' read "
              + rows.rows()
              + " rows but the split column "
              + "marked "
              + heldOut.size()
              + "; did the file change during the run?");
    }
    int[] test = IntStream.range(0, heldOut.size()).filter(heldOut::get).toArray();
    int[] train = IntStream.range(0, heldOut.size()).filter(i -> !heldOut.get(i)).toArray();
    if (train.length == 0 || test.length == 0) {
      throw new InvalidInputException(
          "site '"
              + site
              + "' has no "
              + (train.length == 0 ? SplitRule.Column.TRAIN : SplitRule.Column.TEST)
              + " rows in --split-column '"
              + column
              + "'; every site needs both");
    }
    return new Split(rows.select(train), rows.select(test));
  }

  private static void requireBothLabels(String site, Dataset rows) {
    long positives = rows.positives();
    long negatives = rows.rows() - positives;
    if (positives < MIN_ROWS_PER_LABEL || negatives < MIN_ROWS_PER_LABEL) {
      throw new InvalidInputException(
          "site '"
              + site
              + "' has "
              + negatives
              + " rows with label 0 and "
              + positives
              + " with label 1; every site needs at least "
              + MIN_ROWS_PER_LABEL
              + " of each for a held-out split");
    }
  }

  private static Set<String> missingTokens(Request request) {
    Set<String> tokens = new LinkedHashSet<>();
    tokens.add("");
    tokens.add(request.missingToken());
    return tokens;
  }

  /**
   * The header, the sorted site values, each categorical column's sorted distinct values, and with
   * a split column each site's rows in file order, true where the row is held out.
   */
  private record Survey(
      List<String> header,
      List<String> sites,
      Map<String, TreeSet<String>> distinctValues,
      Map<String, List<Boolean>> heldOut) {}

  private static Survey survey(Request request) {
    Path file = request.file();
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new InvalidInputException(file + " is not a readable file");
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        CSVParser parser = CSVParser.parse(reader, FORMAT)) {
      List<String> header = parser.getHeaderNames();
      requireColumn(file, header, request.siteColumn(), "--site-column");
      requireColumn(file, header, request.labelColumn(), "--label-column");
      if (request.siteColumn().equals(request.labelColumn())) {
        throw new InvalidInputException(
            "--site-column and --label-column must be different columns");
      }
      Map<String, TreeSet<String>> distinct = new LinkedHashMap<>();
      for (String column : request.categorical()) {
        requireColumn(file, header, column, "--categorical");
        if (column.equals(request.siteColumn()) || column.equals(request.labelColumn())) {
          throw new InvalidInputException(
              "--categorical: '" + column + "' is the site or label column, not a feature");
        }
        distinct.put(column, new TreeSet<>());
      }
      Optional<String> splitColumn = request.splitColumn();
      if (splitColumn.isPresent()) {
        requireColumn(file, header, splitColumn.get(), "--split-column");
        if (List.of(request.siteColumn(), request.labelColumn()).contains(splitColumn.get())
            || request.categorical().contains(splitColumn.get())) {
          throw new InvalidInputException(
              "--split-column: '"
                  + splitColumn.get()
                  + "' is the site or label column "
                  + "or a --categorical feature");
        }
      }
      Map<String, List<Boolean>> heldOut = new HashMap<>();
      Set<String> missing = missingTokens(request);
      TreeSet<String> sites = new TreeSet<>();
      for (CSVRecord record : parser) {
        if (!record.isConsistent()) {
          throw new InvalidInputException(
              file
                  + ", line "
                  + parser.getCurrentLineNumber()
                  + ": has "
                  + record.size()
                  + " fields but the header has "
                  + header.size());
        }
        String site = record.get(request.siteColumn());
        if (missing.contains(site)) {
          throw new InvalidInputException(
              file
                  + ", line "
                  + parser.getCurrentLineNumber()
                  + ": the site column '"
                  + request.siteColumn()
                  + "' is empty");
        }
        sites.add(site);
        if (splitColumn.isPresent()) {
          heldOut
              .computeIfAbsent(site, s -> new ArrayList<>())
              .add(
                  heldOut(
                      record.get(splitColumn.get()),
                      splitColumn.get(),
                      file,
                      parser.getCurrentLineNumber()));
        }
        for (Map.Entry<String, TreeSet<String>> column : distinct.entrySet()) {
          String value = record.get(column.getKey());
          if (!missing.contains(value)) {
            column.getValue().add(value);
          }
        }
      }
      if (sites.size() < 2) {
        throw new InvalidInputException(
            "the site column '"
                + request.siteColumn()
                + "' holds "
                + sites.size()
                + " distinct value(s); a federation needs at least 2 sites");
      }
      for (Map.Entry<String, TreeSet<String>> column : distinct.entrySet()) {
        if (column.getValue().isEmpty()) {
          throw new InvalidInputException(
              "--categorical: column '" + column.getKey() + "' holds no values");
        }
      }
      return new Survey(header, List.copyOf(sites), distinct, heldOut);
    } catch (IOException
        | UncheckedIOException
        | IllegalArgumentException
        | IllegalStateException e) {
      throw new InvalidInputException(file + " cannot be read as a CSV file with a header line", e);
    }
  }

  /**
   * Whether a split column's cell marks its row held out; the cell is never quoted (it could be
   * patient data).
   */
  private static boolean heldOut(String cell, String column, Path file, long line) {
    return switch (cell) {
      case SplitRule.Column.TEST -> true;
      case SplitRule.Column.TRAIN -> false;
      default ->
          throw new InvalidInputException(
              file
                  + ", line "
                  + line
                  + ": --split-column '"
                  + column
                  + "' holds a value other than "
                  + SplitRule.Column.TRAIN
                  + " or "
                  + SplitRule.Column.TEST);
    };
  }

  private static void requireColumn(Path file, List<String> header, String column, String option) {
    if (!header.contains(column)) {
      throw new InvalidInputException(
          option
              + ": '"
              + column
              + "' is not a column of "
              + file
              + " (columns: "
              + String.join(", ", header)
              + ")");
    }
  }
}
