package org.cohort.examples;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
 * A CSV file holding several sites' rows, told apart by a site column, turned into one
 * {@link SiteData} per distinct site value (sorted, so the order never depends on row order) with the site agent's own
 * connector ({@link CsvDataSource}): features are every column but the site and the label;
 * categorical vocabularies are the whole file's distinct values, sorted (they are schema, agreed by
 * the federation); each site's rows are split, stratified and seeded, into training and held-out
 * parts.
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

  /** What to read and how to split it. */
  public record Request(Path file, String siteColumn, String labelColumn, List<String> categorical,
      String missingToken, double holdoutFraction, long seed, Standardization standardization) {}

  /** The sites, and the encoded feature count (the model's input width). */
  public record Loaded(List<SiteData> sites, int featureCount, List<String> featureColumns) {}

  static final int MIN_ROWS_PER_LABEL = 2;

  private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder()
      .setHeader().setSkipHeaderRecord(true).setTrim(true).setIgnoreEmptyLines(true).get();

  private CsvCohort() {}

  public static Loaded load(Request request) {
    Survey survey = survey(request);
    List<String> features = survey.header().stream()
        .filter(c -> !c.equals(request.siteColumn()) && !c.equals(request.labelColumn())).toList();
    if (features.isEmpty()) {
      throw new InvalidInputException(request.file() + " has no feature columns besides the site and label columns");
    }
    Map<String, List<String>> vocabularies = new LinkedHashMap<>();
    for (String column : request.categorical()) {
      vocabularies.put(column, List.copyOf(survey.distinctValues().get(column)));
    }
    List<SiteData> raw = new ArrayList<>();
    try {
      int index = 0;
      for (String site : survey.sites()) {
        CsvSchema schema = new CsvSchema(request.file(), features, request.labelColumn(), vocabularies,
            missingTokens(request), Map.of(), Optional.of(new CsvSchema.SiteFilter(request.siteColumn(), site)));
        Dataset rows = CsvDataSource.read(schema);
        requireBothLabels(site, rows);
        raw.add(new SiteData(site, Split.stratified(rows, request.holdoutFraction(), request.seed() + 1000L * index++)));
      }
    } catch (DataFileException | DataConfigException e) {
      throw new InvalidInputException(e.getMessage(), e);
    }
    List<SiteData> standardized = standardize(raw, request.standardization());
    return new Loaded(standardized, standardized.get(0).split().train().featureCount(), features);
  }

  private static List<SiteData> standardize(List<SiteData> sites, Standardization standardization) {
    if (standardization == Standardization.SITE) {
      return sites.stream().map(site -> new SiteData(site.name(), site.split().map(
          Standardizer.fromStatistics(FeatureStatistics.of(site.split().train()))::apply))).toList();
    }
    FeatureStatistics merged = FeatureStatistics.of(sites.get(0).split().train());
    for (SiteData site : sites.subList(1, sites.size())) {
      merged = merged.merge(FeatureStatistics.of(site.split().train()));
    }
    Standardizer global = Standardizer.fromStatistics(merged);
    return sites.stream().map(site -> new SiteData(site.name(), site.split().map(global::apply))).toList();
  }

  private static void requireBothLabels(String site, Dataset rows) {
    long positives = rows.positives();
    long negatives = rows.rows() - positives;
    if (positives < MIN_ROWS_PER_LABEL || negatives < MIN_ROWS_PER_LABEL) {
      throw new InvalidInputException("site '" + site + "' has " + negatives + " rows with label 0 and " + positives
          + " with label 1; every site needs at least " + MIN_ROWS_PER_LABEL + " of each for a held-out split");
    }
  }

  private static Set<String> missingTokens(Request request) {
    Set<String> tokens = new LinkedHashSet<>();
    tokens.add("");
    tokens.add(request.missingToken());
    return tokens;
  }

  /** The header, the sorted site values, and each categorical column's sorted distinct values. */
  private record Survey(List<String> header, List<String> sites, Map<String, TreeSet<String>> distinctValues) {}

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
        throw new InvalidInputException("--site-column and --label-column must be different columns");
      }
      Map<String, TreeSet<String>> distinct = new LinkedHashMap<>();
      for (String column : request.categorical()) {
        requireColumn(file, header, column, "--categorical");
        if (column.equals(request.siteColumn()) || column.equals(request.labelColumn())) {
          throw new InvalidInputException("--categorical: '" + column + "' is the site or label column, not a feature");
        }
        distinct.put(column, new TreeSet<>());
      }
      Set<String> missing = missingTokens(request);
      TreeSet<String> sites = new TreeSet<>();
      for (CSVRecord record : parser) {
        if (!record.isConsistent()) {
          throw new InvalidInputException(file + ", line " + parser.getCurrentLineNumber() + ": has "
              + record.size() + " fields but the header has " + header.size());
        }
        String site = record.get(request.siteColumn());
        if (missing.contains(site)) {
          throw new InvalidInputException(file + ", line " + parser.getCurrentLineNumber()
              + ": the site column '" + request.siteColumn() + "' is empty");
        }
        sites.add(site);
        for (Map.Entry<String, TreeSet<String>> column : distinct.entrySet()) {
          String value = record.get(column.getKey());
          if (!missing.contains(value)) {
            column.getValue().add(value);
          }
        }
      }
      if (sites.size() < 2) {
        throw new InvalidInputException("the site column '" + request.siteColumn() + "' holds " + sites.size()
            + " distinct value(s); a federation needs at least 2 sites");
      }
      for (Map.Entry<String, TreeSet<String>> column : distinct.entrySet()) {
        if (column.getValue().isEmpty()) {
          throw new InvalidInputException("--categorical: column '" + column.getKey() + "' holds no values");
        }
      }
      return new Survey(header, List.copyOf(sites), distinct);
    } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw new InvalidInputException(file + " cannot be read as a CSV file with a header line", e);
    }
  }

  private static void requireColumn(Path file, List<String> header, String column, String option) {
    if (!header.contains(column)) {
      throw new InvalidInputException(option + ": '" + column + "' is not a column of " + file
          + " (columns: " + String.join(", ", header) + ")");
    }
  }
}
