package org.cohort.site.data;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

/**
 * Reads a site's CSV file (RFC 4180: comma separated, double-quoted fields may hold commas, quotes
 * and line breaks; first line is the header) into a {@link Dataset} with the columns of {@link
 * CsvSchema#encodedFeatures()}. Missing numeric values stay NaN, with their indicator set, until a
 * {@link Standardizer} imputes them; no row is dropped except rows of other sites.
 */
public final class CsvDataSource {

  /** Plain decimal numbers only: Java's parser would also take "NaN", "Infinity", "1d" or hex. */
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  private static final CSVFormat FORMAT =
      CSVFormat.RFC4180
          .builder()
          .setHeader()
          .setSkipHeaderRecord(true)
          .setTrim(true)
          .setIgnoreEmptyLines(true)
          .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
          .get();

  private CsvDataSource() {}

  public static Dataset read(CsvSchema schema) {
    Path file = schema.path();
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new DataFileException(file, 0, null, "is not a readable file");
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        CSVParser parser = openParser(file, reader)) {
      return new RowEncoder(schema, parser.getHeaderMap()).encodeAll(parser);
    } catch (IOException | UncheckedIOException e) {
      throw new DataFileException(file, 0, null, "cannot be read as UTF-8 text", e);
    }
  }

  private static CSVParser openParser(Path file, Reader reader) throws IOException {
    try {
      return CSVParser.parse(reader, FORMAT);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new DataFileException(
          file, 1, null, "has an invalid header (empty, repeated or badly quoted names)", e);
    }
  }

  /** Encodes records into rows; holds the per-column plan computed once from the header. */
  private static final class RowEncoder {
    private final CsvSchema schema;
    private final Path file;
    private final int headerWidth;
    private final int width;
    private final int labelIndex;
    private final int siteIndex;
    private final List<ColumnPlan> plans = new ArrayList<>();

    private record ColumnPlan(
        String name,
        int sourceIndex,
        int firstOutput,
        Map<String, Integer> vocabulary,
        String textSentinel,
        double numericSentinel) {
      boolean categorical() {
        return vocabulary != null;
      }
    }

    RowEncoder(CsvSchema schema, Map<String, Integer> header) {
      this.schema = schema;
      this.file = schema.path();
      this.headerWidth = header.size();
      this.width = schema.encodedFeatures().size();
      this.labelIndex = requireColumn(header, schema.label());
      this.siteIndex = schema.siteFilter().map(f -> requireColumn(header, f.column())).orElse(-1);
      int output = 0;
      for (String column : schema.features()) {
        int source = requireColumn(header, column);
        String sentinel = schema.missingSentinels().get(column);
        if (schema.isCategorical(column)) {
          Map<String, Integer> vocabulary = schema.vocabularyIndex(column);
          plans.add(new ColumnPlan(column, source, output, vocabulary, sentinel, Double.NaN));
          output += vocabulary.size() + 1;
        } else {
          double numeric = sentinel == null ? Double.NaN : Double.parseDouble(sentinel);
          plans.add(new ColumnPlan(column, source, output, null, null, numeric));
          output += 2;
        }
      }
    }

    private int requireColumn(Map<String, Integer> header, String column) {
      Integer index = header.get(column);
      if (index == null) {
        throw new DataFileException(file, 1, column, "column is missing from the header");
      }
      return index;
    }

    Dataset encodeAll(CSVParser parser) {
      List<float[]> rows = new ArrayList<>();
      float[] labelBuffer = new float[1024];
      Iterator<CSVRecord> records = parser.iterator();
      while (true) {
        CSVRecord record;
        try {
          if (!records.hasNext()) {
            break;
          }
          record = records.next();
        } catch (UncheckedIOException | IllegalStateException e) {
          throw new DataFileException(
              file,
              parser.getCurrentLineNumber(),
              null,
              "is malformed (misplaced quotes or not UTF-8 text)",
              e);
        }
        long line = parser.getCurrentLineNumber();
        if (record.size() != headerWidth) {
          throw new DataFileException(
              file,
              line,
              null,
              "has " + record.size() + " fields but the header has " + headerWidth);
        }
        if (siteIndex >= 0
            && !record.get(siteIndex).equals(schema.siteFilter().orElseThrow().value())) {
          continue;
        }
        if (rows.size() == labelBuffer.length) {
          labelBuffer = Arrays.copyOf(labelBuffer, labelBuffer.length * 2);
        }
        labelBuffer[rows.size()] = parseLabel(record.get(labelIndex), line);
        rows.add(encode(record, line));
      }
      if (rows.isEmpty()) {
        throw new DataFileException(file, 0, null, "holds no data rows for this site");
      }
      float[] values = new float[rows.size() * width];
      for (int r = 0; r < rows.size(); r++) {
        System.arraycopy(rows.get(r), 0, values, r * width, width);
      }
      return new Dataset(schema.encodedFeatures(), values, Arrays.copyOf(labelBuffer, rows.size()));
    }

    private float[] encode(CSVRecord record, long line) {
      float[] row = new float[width];
      for (ColumnPlan plan : plans) {
        String text = record.get(plan.sourceIndex());
        boolean missing = schema.missingTokens().contains(text);
        if (plan.categorical()) {
          int missingOutput = plan.firstOutput() + plan.vocabulary().size();
          if (missing || text.equals(plan.textSentinel())) {
            row[missingOutput] = 1f;
          } else {
            Integer position = plan.vocabulary().get(text);
            if (position == null) {
              throw new DataFileException(
                  file,
                  line,
                  plan.name(),
                  "value is not in the vocabulary data.categorical." + plan.name());
            }
            row[plan.firstOutput() + position] = 1f;
          }
        } else {
          double value = missing ? Double.NaN : parseNumber(text, line, plan.name());
          if (value == plan.numericSentinel()) {
            value = Double.NaN;
          }
          row[plan.firstOutput()] = (float) value;
          row[plan.firstOutput() + 1] = Double.isNaN(value) ? 1f : 0f;
        }
      }
      return row;
    }

    private double parseNumber(String text, long line, String column) {
      if (!DECIMAL.matcher(text).matches()) {
        throw new DataFileException(
            file, line, column, "value is neither a number nor a missing-value token");
      }
      double value = Double.parseDouble(text);
      if (Double.isInfinite(value)) {
        throw new DataFileException(file, line, column, "value is out of range");
      }
      return value;
    }

    private float parseLabel(String text, long line) {
      if (schema.missingTokens().contains(text)) {
        throw new DataFileException(
            file, line, schema.label(), "label is missing; rows need a label");
      }
      if (DECIMAL.matcher(text).matches()) {
        double value = Double.parseDouble(text);
        if (value == 0.0 || value == 1.0) {
          return (float) value;
        }
      }
      throw new DataFileException(file, line, schema.label(), "label must be 0 or 1");
    }
  }
}
