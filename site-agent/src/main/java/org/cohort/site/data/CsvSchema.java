package org.cohort.site.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How to read one site's CSV file. Everything but {@code path} and {@code siteFilter} is a
 * federation-wide agreement: it fixes the encoded feature list ({@link #encodedFeatures()}), and so
 * the model's input width, identically at every site whatever values a site happens to hold.
 *
 * <p>Encoding, in the order of {@code features}: a numeric column becomes {@code name} (continuous)
 * and {@code name:missing} (indicator); a categorical column becomes one indicator {@code
 * name=value} per vocabulary entry, in vocabulary order, then {@code name:missing}. A categorical
 * value outside the vocabulary is an error, not an "other" bucket: the vocabulary is agreed by the
 * federation, so an unknown value means this site's data mapping is wrong, and silently pooling it
 * would train on a category nobody else can interpret.
 *
 * @param missingTokens cell texts (after trimming) that mean "missing" in every column, e.g. "?",
 *     ""
 * @param missingSentinels per column, a value that means "missing" there (e.g. 0 for a blood
 *     pressure); compared numerically for numeric columns, textually for categorical ones
 */
public record CsvSchema(
    Path path,
    List<String> features,
    String label,
    Map<String, List<String>> categorical,
    Set<String> missingTokens,
    Map<String, String> missingSentinels,
    Optional<SiteFilter> siteFilter) {

  /**
   * Keep only rows whose {@code column} equals {@code value} (one file shared by several sites).
   */
  public record SiteFilter(String column, String value) {
    public SiteFilter {
      Objects.requireNonNull(column, "column");
      Objects.requireNonNull(value, "value");
    }
  }

  public CsvSchema {
    Objects.requireNonNull(path, "path");
    features = List.copyOf(features);
    categorical = Map.copyOf(categorical);
    missingTokens = Set.copyOf(missingTokens);
    missingSentinels = Map.copyOf(missingSentinels);
    Objects.requireNonNull(siteFilter, "siteFilter");
    if (features.isEmpty()) {
      throw new DataConfigException("data.features", "must not be empty");
    }
    if (new HashSet<>(features).size() != features.size()) {
      throw new DataConfigException("data.features", "must not repeat a column");
    }
    if (label == null || label.isBlank()) {
      throw new DataConfigException("data.label", "must name the label column");
    }
    if (features.contains(label)) {
      throw new DataConfigException("data.label", "must not also be one of data.features");
    }
    for (Map.Entry<String, List<String>> entry : categorical.entrySet()) {
      String field = "data.categorical." + entry.getKey();
      if (!features.contains(entry.getKey())) {
        throw new DataConfigException(field, "is not one of data.features");
      }
      List<String> vocabulary = entry.getValue();
      if (vocabulary.isEmpty()) {
        throw new DataConfigException(field, "must list at least one value");
      }
      if (new HashSet<>(vocabulary).size() != vocabulary.size()) {
        throw new DataConfigException(field, "must not repeat a value");
      }
    }
    for (Map.Entry<String, String> entry : missingSentinels.entrySet()) {
      String field = "data.missing_sentinels." + entry.getKey();
      if (!features.contains(entry.getKey())) {
        throw new DataConfigException(field, "is not one of data.features");
      }
      if (!categorical.containsKey(entry.getKey())) {
        try {
          Double.parseDouble(entry.getValue());
        } catch (NumberFormatException e) {
          throw new DataConfigException(field, "must be a number for a numeric column");
        }
      }
    }
  }

  public boolean isCategorical(String column) {
    return categorical.containsKey(column);
  }

  /** The model's input columns, derived from this schema alone (see the class comment). */
  public List<Feature> encodedFeatures() {
    List<Feature> encoded = new ArrayList<>();
    for (String column : features) {
      if (isCategorical(column)) {
        for (String value : categorical.get(column)) {
          encoded.add(Feature.binary(column + "=" + value));
        }
      } else {
        encoded.add(Feature.continuous(column));
      }
      encoded.add(Feature.binary(column + ":missing"));
    }
    return encoded;
  }

  /** Vocabulary of each categorical column as value -> position, in vocabulary order. */
  Map<String, Integer> vocabularyIndex(String column) {
    Map<String, Integer> index = new LinkedHashMap<>();
    for (String value : categorical.get(column)) {
      index.put(value, index.size());
    }
    return index;
  }
}
