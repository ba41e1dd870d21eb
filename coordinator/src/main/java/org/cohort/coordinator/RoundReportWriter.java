package org.cohort.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends one JSON object per finished round to a file (JSON Lines), flushed at once so another
 * process can follow the file while the federation runs:
 *
 * <pre>
 * {"round":3,"status":"completed","contributions":5,"total_examples":4165,
 *  "eval_loss":0.41,"eval_accuracy":0.83,"eval_auroc":0.77,"duration_ms":412,"abandon_reason":""}
 * </pre>
 *
 * The eval figures are the sites' example-weighted evaluation of the global model they received for
 * that round (null when no site reported one). They are aggregates over held-out rows, never
 * individual values. After the last round, one more line holds the cross-site evaluation of the
 * final model ({@link #line(EvaluationTable)}).
 */
public final class RoundReportWriter implements RoundListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RoundReportWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final BufferedWriter out;

  /**
   * Creates the file's directory if needed and appends to the file (a resumed federation continues
   * it).
   */
  public RoundReportWriter(Path file) {
    this.file = file;
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      this.out =
          Files.newBufferedWriter(
              file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open round report " + file, e);
    }
  }

  @Override
  public synchronized void roundFinished(RoundSummary summary) {
    append(line(summary), "round " + summary.round());
  }

  @Override
  public synchronized void evaluationFinished(EvaluationTable table) {
    append(line(table), "the cross-site evaluation");
  }

  private void append(ObjectNode line, String what) {
    try {
      out.write(JSON.writeValueAsString(line));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      // The report is an observer: failing to write it must not stop the federation.
      log.warn("cannot append {} to {}: {}", what, file, e.getMessage());
    }
  }

  static ObjectNode line(RoundSummary summary) {
    ObjectNode line =
        JSON.createObjectNode()
            .put("round", summary.round())
            .put("status", summary.phase().name().toLowerCase(Locale.ROOT))
            .put("contributions", summary.contributions())
            .put("total_examples", summary.totalExamples());
    putFinite(line, "eval_loss", summary.meanEvalLoss());
    putFinite(line, "eval_accuracy", summary.meanEvalAccuracy());
    putFinite(line, "eval_auroc", summary.meanEvalAuroc());
    return line.put("duration_ms", summary.duration().toMillis())
        .put("abandon_reason", summary.abandonReason());
  }

  /**
   * The final model on every site's held-out split, one line of its own:
   * {"cross_site_evaluation":{"round":21,"sites":[{"site":"a","examples":75,"loss":..,"auroc":..,"accuracy":..}],
   * "mean_over_sites":{...}}}.
   */
  static ObjectNode line(EvaluationTable table) {
    ObjectNode evaluation = JSON.createObjectNode().put("round", table.round());
    ArrayNode sites = evaluation.putArray("sites");
    table.sites().forEach(row -> sites.add(row(row)));
    evaluation.set("mean_over_sites", row(table.meanOverSites()));
    ObjectNode line = JSON.createObjectNode();
    line.set("cross_site_evaluation", evaluation);
    return line;
  }

  private static ObjectNode row(EvaluationTable.Row row) {
    ObjectNode node =
        JSON.createObjectNode().put("site", row.site()).put("examples", row.examples());
    putFinite(node, "loss", row.loss());
    putFinite(node, "auroc", row.auroc());
    putFinite(node, "accuracy", row.accuracy());
    return node;
  }

  /** JSON has no NaN: a figure nobody reported is null. */
  private static void putFinite(ObjectNode line, String field, double value) {
    if (Double.isFinite(value)) {
      line.put(field, value);
    } else {
      line.putNull(field);
    }
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      log.warn("cannot close round report {}: {}", file, e.getMessage());
    }
  }
}
