package org.cohort.site.data;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A data file or one of its rows cannot be used. Names the file, the 1-based line (the line on
 * which the offending record ends; 0 when the file as a whole is at fault) and the column when one
 * is to blame. Messages describe the problem, never the offending value: it may be patient data.
 */
public final class DataFileException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long line;
  private final String column;

  public DataFileException(Path file, long line, String column, String problem) {
    this(file, line, column, problem, null);
  }

  public DataFileException(Path file, long line, String column, String problem, Throwable cause) {
    super(describe(file, line, column, problem), cause);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  private static String describe(Path file, long line, String column, String problem) {
    StringBuilder where = new StringBuilder(String.valueOf(file));
    if (line > 0) {
      where.append(", line ").append(line);
    }
    if (column != null) {
      where.append(", column '").append(column).append('\'');
    }
    return where.append(": ").append(problem).toString();
  }

  public Path file() {
    return file;
  }

  public long line() {
    return line;
  }

  public Optional<String> column() {
    return Optional.ofNullable(column);
  }
}
