package org.cohort.site.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDataSourceTest {

  @TempDir Path directory;

  private Path write(String name, String content) throws IOException {
    Path file = directory.resolve(name);
    Files.writeString(file, content);
    return file;
  }

  private static CsvSchema schema(
      Path file, Map<String, String> sentinels, Optional<CsvSchema.SiteFilter> filter) {
    return new CsvSchema(
        file,
        List.of("age", "admission", "chol"),
        "outcome",
        Map.of("admission", List.of("elective", "emergency", "transfer")),
        Set.of("?", ""),
        sentinels,
        filter);
  }

  private static CsvSchema schema(Path file) {
    return schema(file, Map.of(), Optional.empty());
  }

  @Test
  void encodesNumericCategoricalAndMissingValuesWithIndicators() throws IOException {
    Path file =
        write(
            "site.csv",
            """
        id,age,admission,chol,outcome
        1,70,emergency,210.5,1
        2,?,elective,,0
        3,55,,180,0
        """);
    Dataset data = CsvDataSource.read(schema(file));

    assertEquals(
        List.of(
            "age",
            "age:missing",
            "admission=elective",
            "admission=emergency",
            "admission=transfer",
            "admission:missing",
            "chol",
            "chol:missing"),
        data.features().stream().map(Feature::name).toList());
    assertEquals(Feature.Kind.CONTINUOUS, data.features().get(0).kind());
    assertEquals(Feature.Kind.BINARY, data.features().get(1).kind());
    float nan = Float.NaN;
    assertArrayEquals(
        new float[] {
          70, 0, 0, 1, 0, 0, 210.5f, 0, nan, 1, 1, 0, 0, 0, nan, 1, 55, 0, 0, 0, 0, 1, 180, 0
        },
        data.values());
    assertArrayEquals(new float[] {1, 0, 0}, data.labels());
  }

  @Test
  void vocabularyValueAbsentAtThisSiteStillHasItsColumn() throws IOException {
    Path file =
        write("site.csv", "age,admission,chol,outcome\n60,elective,200,0\n61,emergency,201,1\n");
    Dataset data = CsvDataSource.read(schema(file));
    int transfer =
        data.features().stream().map(Feature::name).toList().indexOf("admission=transfer");
    assertEquals(4, transfer);
    assertEquals(8, data.featureCount());
    assertEquals(0f, data.values()[transfer]);
    assertEquals(0f, data.values()[data.featureCount() + transfer]);
  }

  @Test
  void sentinelMarksAValueMissingInItsColumnOnly() throws IOException {
    Path file =
        write("site.csv", "age,admission,chol,outcome\n0,elective,0,0\n0.0,elective,190,1\n");
    Dataset data = CsvDataSource.read(schema(file, Map.of("chol", "0"), Optional.empty()));
    float[] v = data.values();
    assertEquals(0f, v[0]); // age 0 is a value: no sentinel for age
    assertEquals(0f, v[1]);
    assertTrue(Float.isNaN(v[6])); // chol 0 means missing
    assertEquals(1f, v[7]);
    assertEquals(190f, v[8 + 6]);
  }

  @Test
  void quotedFieldsMayHoldCommasQuotesAndLineBreaks() throws IOException {
    Path file =
        write(
            "site.csv",
            "note,age,admission,chol,outcome\n"
                + "\"fell, then \"\"dizzy\"\"\nat home\",71,\"emergency\",200,1\n");
    Dataset data = CsvDataSource.read(schema(file));
    assertEquals(1, data.rows());
    assertEquals(71f, data.values()[0]);
    assertEquals(1f, data.values()[3]);
  }

  @Test
  void siteFilterKeepsOnlyThisSitesRows() throws IOException {
    Path file =
        write(
            "all.csv",
            "hospital,age,admission,chol,outcome\na,50,elective,1,0\nb,60,elective,2,1\na,70,elective,3,1\n");
    Dataset data =
        CsvDataSource.read(
            schema(file, Map.of(), Optional.of(new CsvSchema.SiteFilter("hospital", "a"))));
    assertEquals(2, data.rows());
    assertEquals(70f, data.values()[8]);
    DataFileException none =
        assertThrows(
            DataFileException.class,
            () ->
                CsvDataSource.read(
                    schema(
                        file, Map.of(), Optional.of(new CsvSchema.SiteFilter("hospital", "z")))));
    assertTrue(none.getMessage().contains("no data rows"), none.getMessage());
  }

  @Test
  void nonNumericValueIsReportedWithFileLineAndColumnButNotTheValue() throws IOException {
    Path file =
        write(
            "bad.csv", "age,admission,chol,outcome\n60,elective,200,0\n61,elective,SECRET-42,1\n");
    DataFileException e =
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(file)));
    assertEquals(file, e.file());
    assertEquals(3, e.line());
    assertEquals(Optional.of("chol"), e.column());
    assertTrue(e.getMessage().contains("bad.csv, line 3, column 'chol'"), e.getMessage());
    assertFalse(e.getMessage().contains("SECRET"), "patient values must not leak into messages");
  }

  @Test
  void malformedRowsAreReportedWithTheirLine() throws IOException {
    Path ragged =
        write("ragged.csv", "age,admission,chol,outcome\n60,elective,200,0\n61,elective,1\n");
    DataFileException e =
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(ragged)));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("has 3 fields but the header has 4"), e.getMessage());

    Path quotes =
        write(
            "quotes.csv", "age,admission,chol,outcome\n60,elective,200,0\n61,\"elective\"x,1,0\n");
    assertEquals(
        3, assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(quotes))).line());
  }

  @Test
  void categoricalValueOutsideTheVocabularyIsAnError() throws IOException {
    Path file = write("site.csv", "age,admission,chol,outcome\n60,walk-in,200,0\n");
    DataFileException e =
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(file)));
    assertEquals(Optional.of("admission"), e.column());
    assertEquals(2, e.line());
    assertFalse(e.getMessage().contains("walk-in"));
  }

  @Test
  void labelsMustBePresentAndBinary() throws IOException {
    Path two = write("two.csv", "age,admission,chol,outcome\n60,elective,200,2\n");
    assertEquals(
        Optional.of("outcome"),
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(two))).column());
    Path missing = write("missing.csv", "age,admission,chol,outcome\n60,elective,200,?\n");
    assertEquals(
        Optional.of("outcome"),
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(missing))).column());
  }

  @Test
  void badFilesAreReportedAsSuch() throws IOException {
    Path header = write("header.csv", "age,admission,outcome\n60,elective,0\n");
    DataFileException e =
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(header)));
    assertEquals(Optional.of("chol"), e.column());
    assertEquals(1, e.line());

    Path absent = directory.resolve("absent.csv");
    assertEquals(
        absent,
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(absent))).file());

    Path duplicate = write("duplicate.csv", "age,age,admission,chol,outcome\n1,2,elective,3,0\n");
    assertEquals(
        1,
        assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(duplicate))).line());

    Path empty = write("empty.csv", "age,admission,chol,outcome\n");
    assertThrows(DataFileException.class, () -> CsvDataSource.read(schema(empty)));
  }
}
