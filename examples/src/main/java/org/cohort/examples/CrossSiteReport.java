package org.cohort.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cohort.coordinator.EvaluationTable;

/**
 * The coordinator's cross-site evaluation of the final model ({@link EvaluationTable}): every site
 * scores it on its own held-out rows. As a printed table, and as JSON in the shape of the
 * coordinator's round report line {@code {"cross_site_evaluation": {...}}}, which the demo reads
 * back from the coordinator process.
 */
final class CrossSiteReport {

  /** The key of the coordinator's report line, and of the examples' JSON outputs. */
  static final String KEY = "cross_site_evaluation";

  private CrossSiteReport() {}

  static String table(EvaluationTable evaluation) {
    TextTable table = new TextTable("site", "examples", "loss", "AUROC", "accuracy");
    List<EvaluationTable.Row> rows = new ArrayList<>(evaluation.sites());
    rows.add(evaluation.meanOverSites());
    for (EvaluationTable.Row row : rows) {
      table.row(
          row.site(),
          Long.toString(row.examples()),
          TextTable.figure(row.loss()),
          TextTable.figure(row.auroc()),
          TextTable.figure(row.accuracy()));
    }
    return String.format(
            Locale.ROOT,
            "Cross-site evaluation: the final model on each site's own held-out rows "
                + "(evaluation task %d; the mean counts each site once)%n%n",
            evaluation.round())
        + table;
  }

  /**
   * The rows in the order of {@code ids} (the coordinator lists them in the order it asked them),
   * each id shown as the site's name from {@code names}; a site that did not answer has no row.
   */
  static EvaluationTable inSiteOrder(
      EvaluationTable evaluation, List<String> ids, List<String> names) {
    Map<String, EvaluationTable.Row> byId = new HashMap<>();
    evaluation.sites().forEach(row -> byId.put(row.site(), row));
    List<EvaluationTable.Row> rows = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      EvaluationTable.Row row = byId.get(ids.get(i));
      if (row != null) {
        rows.add(
            new EvaluationTable.Row(
                names.get(i), row.examples(), row.loss(), row.auroc(), row.accuracy()));
      }
    }
    return new EvaluationTable(evaluation.round(), rows);
  }

  static ObjectNode toJson(EvaluationTable evaluation) {
    ObjectNode node = JsonNodeFactory.instance.objectNode().put("round", evaluation.round());
    ArrayNode sites = node.putArray("sites");
    evaluation.sites().forEach(row -> sites.add(toJson(row)));
    node.set("mean_over_sites", toJson(evaluation.meanOverSites()));
    return node;
  }

  /** Reads {@link #toJson}'s shape (the coordinator writes the same); null figures become NaN. */
  static EvaluationTable fromJson(JsonNode node) {
    List<EvaluationTable.Row> rows = new ArrayList<>();
    for (JsonNode site : node.path("sites")) {
      rows.add(
          new EvaluationTable.Row(
              site.path("site").asText(),
              site.path("examples").asLong(),
              Json.number(site.get("loss")),
              Json.number(site.get("auroc")),
              Json.number(site.get("accuracy"))));
    }
    return new EvaluationTable(node.path("round").asLong(), rows);
  }

  private static ObjectNode toJson(EvaluationTable.Row row) {
    ObjectNode node =
        JsonNodeFactory.instance
            .objectNode()
            .put("site", row.site())
            .put("examples", row.examples());
    Json.putFinite(node, "loss", row.loss());
    Json.putFinite(node, "auroc", row.auroc());
    Json.putFinite(node, "accuracy", row.accuracy());
    return node;
  }
}
