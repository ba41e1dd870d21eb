package org.cohort.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.cohort.site.model.Evaluation;

/** One model's quality on the common test set, and how much training data it saw. */
public record ModelScore(String name, Kind kind, long trainingRows, Evaluation evaluation) {

  /** How the model was trained. */
  public enum Kind {
    /** Federated averaging through the coordinator; no site's rows left the site. */
    FEDERATED,
    /** One site's rows only. */
    LOCAL,
    /** Every site's training rows pooled centrally: the reference federation tries to match. */
    POOLED
  }

  public double auroc() {
    return evaluation.auroc();
  }

  public double accuracy() {
    return evaluation.accuracy();
  }

  ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode()
        .put("model", name)
        .put("kind", kind.name().toLowerCase(Locale.ROOT))
        .put("training_rows", trainingRows);
    Json.putFinite(node, "auroc", auroc());
    Json.putFinite(node, "accuracy", accuracy());
    Json.putFinite(node, "loss", evaluation.loss());
    return node;
  }
}
