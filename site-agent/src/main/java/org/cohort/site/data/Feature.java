package org.cohort.site.data;

import java.util.Objects;

/**
 * One column of the encoded feature matrix. The ordered list of features is part of the federation
 * contract: every site must derive the same list from the shared config, whatever its own data
 * holds.
 */
public record Feature(String name, Kind kind) {

  public enum Kind {
    /** A measured quantity; NaN marks a missing value until it is standardised and imputed. */
    CONTINUOUS,
    /** 0 or 1: a one-hot category, a missing-value indicator or a yes/no flag. Never rescaled. */
    BINARY
  }

  public Feature {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
  }

  public static Feature continuous(String name) {
    return new Feature(name, Kind.CONTINUOUS);
  }

  public static Feature binary(String name) {
    return new Feature(name, Kind.BINARY);
  }
}
