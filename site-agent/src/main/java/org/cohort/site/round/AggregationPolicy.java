package org.cohort.site.round;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggParameters;

/**
 * What a site accepts as protection for its update (site.yaml {@code policy.aggregation}). The
 * coordinator proposes; this decides. Absent fields take the defaults: plain aggregation refused, a
 * secure round needs at least 3 participants, and threshold and graph degree of at least 2 (the
 * engine's own minimums).
 *
 * @param plain whether a task without a secure-aggregation setup (the coordinator would see this
 *     site's raw update and example count) is served
 * @param minParticipants fewest participants a secure round's setup may list
 * @param minThreshold the weakest Shamir threshold t accepted
 * @param minGraphDegree the weakest neighbour-graph degree k accepted
 */
public record AggregationPolicy(
    Plain plain, Integer minParticipants, Integer minThreshold, Integer minGraphDegree) {

  /** site.yaml {@code policy.aggregation.plain}. */
  public enum Plain {
    @JsonProperty("refuse")
    REFUSE,
    @JsonProperty("allow")
    ALLOW
  }

  static final int DEFAULT_MIN_PARTICIPANTS = 3;
  static final int DEFAULT_MIN_THRESHOLD = 2;
  static final int DEFAULT_MIN_GRAPH_DEGREE = 2;

  /** Every field at its default: secure aggregation only. */
  public static final AggregationPolicy DEFAULT = new AggregationPolicy(null, null, null, null);

  /** The defaults, but plain rounds served too (simulations, demos, tests of plain federations). */
  public static final AggregationPolicy PLAIN_ALLOWED =
      new AggregationPolicy(Plain.ALLOW, null, null, null);

  public Plain plainOrDefault() {
    return plain == null ? Plain.REFUSE : plain;
  }

  public int minParticipantsOrDefault() {
    return minParticipants == null ? DEFAULT_MIN_PARTICIPANTS : minParticipants;
  }

  public int minThresholdOrDefault() {
    return minThreshold == null ? DEFAULT_MIN_THRESHOLD : minThreshold;
  }

  public int minGraphDegreeOrDefault() {
    return minGraphDegree == null ? DEFAULT_MIN_GRAPH_DEGREE : minGraphDegree;
  }

  /**
   * The first bad field, named as in site.yaml.
   *
   * @return empty if every field is valid
   */
  public Optional<String> invalidField() {
    if (minParticipantsOrDefault() < 3) {
      return Optional.of("policy.aggregation.min_participants must be >= 3");
    }
    if (minThresholdOrDefault() < 2) {
      return Optional.of("policy.aggregation.min_threshold must be >= 2");
    }
    if (minGraphDegreeOrDefault() < 2) {
      return Optional.of("policy.aggregation.min_graph_degree must be >= 2");
    }
    if (minThresholdOrDefault() > minGraphDegreeOrDefault()) {
      return Optional.of(
          "policy.aggregation.min_threshold must not exceed policy.aggregation.min_graph_degree"
              + " (no graph of the weakest accepted degree could meet it)");
    }
    return Optional.empty();
  }

  /** The first rule a plain task breaks, if any. */
  Optional<Refusal> checkPlain() {
    if (plainOrDefault() == Plain.ALLOW) {
      return Optional.empty();
    }
    return Optional.of(
        new Refusal(
            Refusal.Rule.PLAIN_AGGREGATION_REFUSED,
            "the task has no secure-aggregation setup and this site's policy"
                + " (policy.aggregation.plain: refuse) refuses plain aggregation"));
  }

  /** The first rule a secure round's setup breaks, if any. */
  Optional<Refusal> checkSecure(RoundSetup setup) {
    SecAggParameters parameters = setup.parameters();
    if (setup.participants().size() < minParticipantsOrDefault()) {
      return weak(
          "the round lists "
              + setup.participants().size()
              + " participants, this site's policy.aggregation.min_participants is "
              + minParticipantsOrDefault());
    }
    if (parameters.graph().threshold() < minThresholdOrDefault()) {
      return weak(
          "the round's threshold is "
              + parameters.graph().threshold()
              + ", this site's policy.aggregation.min_threshold is "
              + minThresholdOrDefault());
    }
    if (parameters.graph().degree() < minGraphDegreeOrDefault()) {
      return weak(
          "the round's graph degree is "
              + parameters.graph().degree()
              + ", this site's policy.aggregation.min_graph_degree is "
              + minGraphDegreeOrDefault());
    }
    return Optional.empty();
  }

  private static Optional<Refusal> weak(String detail) {
    return Optional.of(new Refusal(Refusal.Rule.SECURE_AGGREGATION_TOO_WEAK, detail));
  }
}
