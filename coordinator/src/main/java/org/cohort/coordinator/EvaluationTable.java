package org.cohort.coordinator;

import java.util.List;

/**
 * The final model evaluated on each site's held-out split (cross-site evaluation), in the order
 * sites were asked.
 */
public record EvaluationTable(long round, List<Row> sites) {

  /** One site's figures; NaN (and 0 examples) where the site reported none. */
  public record Row(String site, long examples, double loss, double auroc, double accuracy) {}

  /** The plain mean over the sites that reported (each site counts once, whatever its size). */
  public Row meanOverSites() {
    List<Row> reported = sites.stream().filter(s -> s.examples() > 0).toList();
    return new Row(
        "mean over sites",
        reported.stream().mapToLong(Row::examples).sum(),
        reported.stream().mapToDouble(Row::loss).average().orElse(Double.NaN),
        reported.stream().mapToDouble(Row::auroc).average().orElse(Double.NaN),
        reported.stream().mapToDouble(Row::accuracy).average().orElse(Double.NaN));
  }
}
