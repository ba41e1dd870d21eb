package org.cohort.site.data;

/** The {@code data:} section of a site config is invalid; {@link #field()} names the culprit. */
public final class DataConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String field;

  /**
   * @param problem completes the sentence that starts with the field name, e.g. "must not be empty"
   */
  public DataConfigException(String field, String problem) {
    super(field + " " + problem);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
