package org.cohort.coordinator;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cohort.protocol.v1.LocalMetrics;

/**
 * The final model evaluated on every site's held-out split: an evaluation-only task (no training,
 * only metrics come back) with a round number of its own. Round-thread confined.
 */
final class CrossSiteEvaluation {

  private final long round;
  private final Set<String> awaited;
  private final int asked;
  private final Map<String, EvaluationTable.Row> results = new LinkedHashMap<>();

  CrossSiteEvaluation(long round, Collection<String> sites) {
    this.round = round;
    this.awaited = new LinkedHashSet<>(sites);
    this.asked = sites.size();
  }

  long round() {
    return round;
  }

  int asked() {
    return asked;
  }

  boolean isComplete() {
    return awaited.isEmpty();
  }

  /** Records {@code site}'s answer (once); true when nobody else is awaited. */
  boolean record(String site, LocalMetrics metrics) {
    if (awaited.remove(site)) {
      results.put(
          site,
          metrics.getEvalExamples() > 0
              ? new EvaluationTable.Row(
                  site,
                  metrics.getEvalExamples(),
                  metrics.getEvalLoss(),
                  metrics.getEvalAuroc(),
                  metrics.getEvalAccuracy())
              : new EvaluationTable.Row(site, 0, Double.NaN, Double.NaN, Double.NaN));
    }
    return isComplete();
  }

  /** {@code site} left or declined without answering; true when nobody else is awaited. */
  boolean leave(String site) {
    awaited.remove(site);
    return isComplete();
  }

  EvaluationTable table() {
    return new EvaluationTable(round, List.copyOf(results.values()));
  }
}
