package org.cohort.site.training;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cohort.site.data.CsvDataSource;
import org.cohort.site.data.CsvSchema;
import org.cohort.site.data.DataConfigException;
import org.cohort.site.data.DataFileException;
import org.cohort.site.data.Dataset;
import org.cohort.site.data.FeatureStatistics;
import org.cohort.site.data.Split;
import org.cohort.site.data.Standardizer;
import org.cohort.site.data.SyntheticCohort;

/**
 * Builds a site's trainer from the {@code data:} section of its config file.
 *
 * <pre>
 * # built-in synthetic cohort (SyntheticCohort): model.input_features = 19
 * data: {source: synthetic, hospital: 0, seed: 1, rows: 500}      # rows optional
 *
 * # a CSV file (CsvSchema): model.input_features = size of the encoded feature list
 * data:
 *   source: csv
 *   path: patients.csv                      # relative to the config file
 *   features: [age, sex, chol]
 *   label: outcome                          # values 0 or 1
 *   categorical: {sex: [female, male]}      # optional; fixed vocabulary shared by the federation
 *   missing_tokens: ["?", ""]               # optional; this is the default
 *   missing_sentinels: {chol: 0}            # optional; per-column value meaning "missing"
 *   site_column: hospital                   # optional, with site_value: keep only this site's rows
 *   site_value: a
 *   holdout_fraction: 0.2                   # optional; this is the default
 *   split_seed: 1                           # optional; this is the default
 * </pre>
 *
 * CSV sites standardise with their own training split's statistics (see {@link Standardizer} for
 * why); the synthetic cohort uses fixed reference values. Every problem with the section raises
 * {@link DataConfigException} naming the field; problems with the file raise {@link
 * DataFileException}.
 */
public final class TrainerFactory {

  private static final double DEFAULT_HOLDOUT_FRACTION = 0.2;
  private static final long DEFAULT_SPLIT_SEED = 1;
  private static final Set<String> SYNTHETIC_KEYS = Set.of("source", "hospital", "seed", "rows");
  private static final Set<String> CSV_KEYS =
      Set.of(
          "source",
          "path",
          "features",
          "label",
          "categorical",
          "missing_tokens",
          "missing_sentinels",
          "site_column",
          "site_value",
          "holdout_fraction",
          "split_seed");

  private TrainerFactory() {}

  /**
   * @param data the {@code data:} section of the site config
   * @param configDirectory relative paths in {@code data} resolve against it
   */
  public static LocalTrainer fromConfig(JsonNode data, Path configDirectory) {
    return switch (requiredSource(data)) {
      case "synthetic" -> synthetic(data);
      default -> csv(data, configDirectory);
    };
  }

  /** "synthetic" or "csv". */
  private static String requiredSource(JsonNode data) {
    if (data == null || data.isMissingNode() || data.isNull()) {
      throw new DataConfigException("data", "section is missing");
    }
    if (!data.isObject()) {
      throw new DataConfigException("data", "must be a mapping");
    }
    String source = requiredText(data, "source");
    if (!source.equals("synthetic") && !source.equals("csv")) {
      throw new DataConfigException("data.source", "must be synthetic or csv");
    }
    return source;
  }

  private static DatasetTrainer synthetic(JsonNode data) {
    rejectUnknownKeys(data, SYNTHETIC_KEYS);
    int hospitals = SyntheticCohort.DEFAULT_HOSPITALS.size();
    long hospital = requiredInteger(data, "hospital");
    if (hospital < 0 || hospital >= hospitals) {
      throw new DataConfigException("data.hospital", "must be between 0 and " + (hospitals - 1));
    }
    long seed = requiredInteger(data, "seed");
    SyntheticCohort.HospitalProfile profile = SyntheticCohort.DEFAULT_HOSPITALS.get((int) hospital);
    if (data.has("rows")) {
      long rows = requiredInteger(data, "rows");
      if (rows < 10 || rows > 10_000_000) {
        throw new DataConfigException("data.rows", "must be between 10 and 10000000");
      }
      profile = profile.withRows((int) rows);
    }
    return new DatasetTrainer(SyntheticCohort.hospital(profile, (int) hospital, seed));
  }

  /**
   * The model input width ({@code model.input_features}) that the {@code data:} section yields,
   * derived from the configuration alone: no data file is read. Validates like {@link #fromConfig}.
   */
  public static int inputFeatures(JsonNode data, Path configDirectory) {
    String source = requiredSource(data);
    if (source.equals("synthetic")) {
      rejectUnknownKeys(data, SYNTHETIC_KEYS);
      return SyntheticCohort.FEATURE_COUNT;
    }
    rejectUnknownKeys(data, CSV_KEYS);
    return csvSchema(data, configDirectory).encodedFeatures().size();
  }

  private static CsvSchema csvSchema(JsonNode data, Path configDirectory) {
    Path path = configDirectory.resolve(requiredText(data, "path")).normalize();
    Optional<CsvSchema.SiteFilter> siteFilter = Optional.empty();
    if (data.has("site_column") || data.has("site_value")) {
      siteFilter =
          Optional.of(
              new CsvSchema.SiteFilter(
                  requiredText(data, "site_column"),
                  requiredScalar(data.get("site_value"), "data.site_value")));
    }
    return new CsvSchema(
        path,
        textList(data.get("features"), "data.features"),
        requiredText(data, "label"),
        vocabularies(data.get("categorical")),
        data.has("missing_tokens")
            ? new LinkedHashSet<>(textList(data.get("missing_tokens"), "data.missing_tokens"))
            : Set.of("?", ""),
        sentinels(data.get("missing_sentinels")),
        siteFilter);
  }

  private static DatasetTrainer csv(JsonNode data, Path configDirectory) {
    rejectUnknownKeys(data, CSV_KEYS);
    CsvSchema schema = csvSchema(data, configDirectory);
    Path path = schema.path();
    double holdoutFraction = DEFAULT_HOLDOUT_FRACTION;
    if (data.has("holdout_fraction")) {
      JsonNode node = data.get("holdout_fraction");
      if (!node.isNumber() || !(node.asDouble() > 0 && node.asDouble() < 1)) {
        throw new DataConfigException(
            "data.holdout_fraction", "must be a number strictly between 0 and 1");
      }
      holdoutFraction = node.asDouble();
    }
    long splitSeed =
        data.has("split_seed") ? requiredInteger(data, "split_seed") : DEFAULT_SPLIT_SEED;

    Dataset raw = CsvDataSource.read(schema);
    Split split;
    try {
      split = Split.stratified(raw, holdoutFraction, splitSeed);
    } catch (IllegalArgumentException e) {
      throw new DataFileException(
          path, 0, null, "has too few rows for a training and a held-out part", e);
    }
    Standardizer standardizer = Standardizer.fromStatistics(FeatureStatistics.of(split.train()));
    return new DatasetTrainer(split.map(standardizer::apply));
  }

  private static void rejectUnknownKeys(JsonNode data, Set<String> known) {
    for (Iterator<String> names = data.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new DataConfigException(
            "data." + name,
            "is not a setting of data.source "
                + data.get("source").asText()
                + " (known: "
                + String.join(", ", known.stream().sorted().toList())
                + ")");
      }
    }
  }

  private static String requiredText(JsonNode data, String key) {
    JsonNode node = data.get(key);
    if (node == null || node.isNull()) {
      throw new DataConfigException("data." + key, "is required");
    }
    if (!node.isTextual() || node.asText().isBlank()) {
      throw new DataConfigException("data." + key, "must be a non-empty string");
    }
    return node.asText();
  }

  private static long requiredInteger(JsonNode data, String key) {
    JsonNode node = data.get(key);
    if (node == null || node.isNull()) {
      throw new DataConfigException("data." + key, "is required");
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw new DataConfigException("data." + key, "must be an integer");
    }
    return node.asLong();
  }

  /**
   * A string, number or boolean, as YAML would write it (vocabularies may hold numbers, e.g. 1, 2,
   * 3).
   */
  private static String requiredScalar(JsonNode node, String field) {
    if (node == null || node.isNull()) {
      throw new DataConfigException(field, "is required");
    }
    if (!node.isValueNode()) {
      throw new DataConfigException(field, "must be a single value");
    }
    return node.asText();
  }

  private static List<String> textList(JsonNode node, String field) {
    if (node == null || node.isNull()) {
      throw new DataConfigException(field, "is required");
    }
    if (!node.isArray()) {
      throw new DataConfigException(field, "must be a list");
    }
    List<String> values = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      values.add(requiredScalar(node.get(i), field + "[" + i + "]"));
    }
    return values;
  }

  private static Map<String, List<String>> vocabularies(JsonNode node) {
    Map<String, List<String>> result = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return result;
    }
    if (!node.isObject()) {
      throw new DataConfigException("data.categorical", "must map column names to lists of values");
    }
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      result.put(e.getKey(), textList(e.getValue(), "data.categorical." + e.getKey()));
    }
    return result;
  }

  private static Map<String, String> sentinels(JsonNode node) {
    Map<String, String> result = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return result;
    }
    if (!node.isObject()) {
      throw new DataConfigException("data.missing_sentinels", "must map column names to values");
    }
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      result.put(e.getKey(), requiredScalar(e.getValue(), "data.missing_sentinels." + e.getKey()));
    }
    return result;
  }
}
