package org.cohort.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.cohort.site.model.Evaluation;

/**
 * One model's quality on the common test set (every site's held-out rows together) and on each
 * site's own held-out rows, and how much training data it saw.
 */
public record ModelScore(
    String name, Kind kind, long trainingRows, Evaluation evaluation, List<SiteScore> perSite) {

  /** How the model was trained. */
  public enum Kind {
    /** Federated averaging through the coordinator; no site's rows left the site. */
    FEDERATED,
    /** One site's rows only. */
    LOCAL,
    /** Every site's training rows pooled centrally: the reference federation tries to match. */
    POOLED
  }

  /** The model on one site's own held-out rows. */
  public record SiteScore(String site, Evaluation evaluation) {}

  public ModelScore {
    perSite = List.copyOf(perSite);
  }

  public double auroc() {
    return evaluation.auroc();
  }

  public double accuracy() {
    return evaluation.accuracy();
  }

  /**
   * The plain mean of the per-site AUROCs (each site counts once; NaN if a site's is undefined).
   */
  public double meanSiteAuroc() {
    return meanOverSites(Evaluation::auroc);
  }

  public double meanSiteAccuracy() {
    return meanOverSites(Evaluation::accuracy);
  }

  private double meanOverSites(ToDoubleFunction<Evaluation> figure) {
    return perSite.stream()
        .mapToDouble(s -> figure.applyAsDouble(s.evaluation()))
        .average()
        .orElse(Double.NaN);
  }

  ObjectNode toJson() {
    ObjectNode node =
        JsonNodeFactory.instance
            .objectNode()
            .put("model", name)
            .put("kind", kind.name().toLowerCase(Locale.ROOT))
            .put("training_rows", trainingRows);
    Json.putFinite(node, "auroc", auroc());
    Json.putFinite(node, "accuracy", accuracy());
    Json.putFinite(node, "loss", evaluation.loss());
    ArrayNode sites = node.putArray("per_site_test");
    for (SiteScore site : perSite) {
      ObjectNode siteNode =
          sites.addObject().put("site", site.site()).put("test_rows", site.evaluation().examples());
      Json.putFinite(siteNode, "auroc", site.evaluation().auroc());
      Json.putFinite(siteNode, "accuracy", site.evaluation().accuracy());
      Json.putFinite(siteNode, "loss", site.evaluation().loss());
    }
    ObjectNode mean = node.putObject("mean_over_sites");
    Json.putFinite(mean, "auroc", meanSiteAuroc());
    Json.putFinite(mean, "accuracy", meanSiteAccuracy());
    return node;
  }
}
