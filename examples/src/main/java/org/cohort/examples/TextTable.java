package org.cohort.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table as the commands print them: first column left-aligned, the rest right-aligned,
 * a rule under the header.
 */
final class TextTable {

  private final List<String[]> rows = new ArrayList<>();

  TextTable(String... header) {
    rows.add(header);
  }

  TextTable row(String... cells) {
    if (cells.length != rows.get(0).length) {
      throw new IllegalArgumentException(
          "a row of " + cells.length + " cells in a table of " + rows.get(0).length + " columns");
    }
    rows.add(cells);
    return this;
  }

  /** Four decimals, or n/a for a figure that does not exist (e.g. the AUROC of a single class). */
  static String figure(double value) {
    return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4f", value) : "n/a";
  }

  @Override
  public String toString() {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "%-" + widths[0] + "s", row[0]));
      for (int c = 1; c < row.length; c++) {
        line.append(String.format(Locale.ROOT, "  %" + widths[c] + "s", row[c]));
      }
      out.append(line.toString().stripTrailing()).append(System.lineSeparator());
      if (r == 0) {
        out.append("-".repeat(Arrays.stream(widths).sum() + 2 * (widths.length - 1)))
            .append(System.lineSeparator());
      }
    }
    return out.toString();
  }
}
