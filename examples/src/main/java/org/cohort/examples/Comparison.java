package org.cohort.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The federated model, each site's model trained alone and the pooled model, all scored on the same
 * test set (every site's held-out rows).
 *
 * @param testRows size of the common test set
 * @param testPositives label-1 rows in it
 */
public record Comparison(
    long testRows,
    long testPositives,
    ModelScore federated,
    List<ModelScore> local,
    ModelScore pooled) {

  /** The federation's target: at least this share of the pooled model's AUROC. */
  public static final double TARGET_SHARE_OF_POOLED = 0.99;

  public Comparison {
    local = List.copyOf(local);
  }

  public double federatedShareOfPooled() {
    return federated.auroc() / pooled.auroc();
  }

  public ModelScore bestLocal() {
    ModelScore best = local.get(0);
    for (ModelScore score : local) {
      if (score.auroc() > best.auroc()) {
        best = score;
      }
    }
    return best;
  }

  public boolean nearlyMatchesPooled() {
    return federatedShareOfPooled() >= TARGET_SHARE_OF_POOLED;
  }

  /** The federated AUROC is at most {@code margin} below the pooled one. */
  public boolean withinMarginOfPooled(double margin) {
    return federated.auroc() >= pooled.auroc() - margin;
  }

  public boolean beatsEverySiteAlone() {
    return local.stream().allMatch(score -> federated.auroc() > score.auroc());
  }

  /** The table as printed by the demo and the simulation tool. */
  public String table() {
    TextTable table = new TextTable("model", "training rows", "AUROC", "accuracy");
    for (ModelScore score : rows()) {
      table.row(
          score.name(),
          Long.toString(score.trainingRows()),
          TextTable.figure(score.auroc()),
          TextTable.figure(score.accuracy()));
    }
    return String.format(
            Locale.ROOT,
            "Test set: %d held-out rows from all %d sites (%d with label 1)%n%n",
            testRows,
            local.size(),
            testPositives)
        + table;
  }

  /**
   * Every model on each site's own held-out rows, "AUROC / accuracy" per site, and their plain mean
   * over sites: the figures benchmarks with a fixed per-site test split publish.
   */
  public String perSiteTable() {
    List<String> header = new ArrayList<>(List.of("model"));
    federated
        .perSite()
        .forEach(site -> header.add(site.site() + " (" + site.evaluation().examples() + ")"));
    header.add("mean over sites");
    TextTable table = new TextTable(header.toArray(String[]::new));
    for (ModelScore score : rows()) {
      List<String> cells = new ArrayList<>(List.of(score.name()));
      score
          .perSite()
          .forEach(
              site -> cells.add(pair(site.evaluation().auroc(), site.evaluation().accuracy())));
      cells.add(pair(score.meanSiteAuroc(), score.meanSiteAccuracy()));
      table.row(cells.toArray(String[]::new));
    }
    return String.format(
            Locale.ROOT, "Each site's own test rows (row count in brackets): AUROC / accuracy%n%n")
        + table;
  }

  private static String pair(double auroc, double accuracy) {
    return TextTable.figure(auroc) + " / " + TextTable.figure(accuracy);
  }

  /** One sentence on whether the federation was worth it. */
  public String verdict() {
    ModelScore best = bestLocal();
    return String.format(
        Locale.ROOT,
        "Federated AUROC %.4f is %.1f%% of pooled (%.4f; target >= %.0f%%): %s. "
            + "Best site alone: %s %.4f, so the federated model is %s.",
        federated.auroc(),
        100 * federatedShareOfPooled(),
        pooled.auroc(),
        100 * TARGET_SHARE_OF_POOLED,
        nearlyMatchesPooled() ? "met" : "NOT met",
        best.name(),
        best.auroc(),
        beatsEverySiteAlone()
            ? "better than every site alone"
            : "NOT better than every site alone");
  }

  private List<ModelScore> rows() {
    List<ModelScore> rows = new ArrayList<>();
    rows.add(federated);
    rows.addAll(local);
    rows.add(pooled);
    return rows;
  }

  public ObjectNode toJson() {
    ObjectNode node =
        JsonNodeFactory.instance
            .objectNode()
            .put("test_rows", testRows)
            .put("test_positives", testPositives);
    node.set("federated", federated.toJson());
    ArrayNode locals = node.putArray("local");
    local.forEach(score -> locals.add(score.toJson()));
    node.set("pooled", pooled.toJson());
    node.put("federated_share_of_pooled_auroc", federatedShareOfPooled())
        .put("target_share_of_pooled_auroc", TARGET_SHARE_OF_POOLED)
        .put("nearly_matches_pooled", nearlyMatchesPooled())
        .put("beats_every_site_alone", beatsEverySiteAlone());
    return node;
  }
}
