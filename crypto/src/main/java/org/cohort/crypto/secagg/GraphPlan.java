package org.cohort.crypto.secagg;

/**
 * The neighbour graph of a round and the Shamir threshold t: who shares secrets with whom, and how
 * many of a site's neighbours must stay to unmask it.
 *
 * <h2>Choosing k and t (Bell et al., CCS 2020, §3–4)</h2>
 *
 * Sites sit on a ring in a random order derived from the round's public seed and the signed advert
 * set (see docs/secure-aggregation.md for what a coordinator can still choose); each is joined to
 * its k/2 nearest ring neighbours on each side (a Harary graph H(k, n), k-regular). With dropout
 * rate δ and a fraction γ of sites colluding with the coordinator, {@link #choose} returns the
 * smallest even k and the smallest t with k/2 < t ≤ k such that, with a union bound over the n
 * sites and neighbour counts modelled as Binomial(k, ·):
 *
 * <ul>
 *   <li>correctness: n · P[Bin(k, 1−δ) &lt; t] ≤ 2^−η — every site keeps t live neighbours, so its
 *       secrets can be reconstructed;
 *   <li>privacy: n · P[Bin(k, γ) ≥ t] ≤ 2^−σ — no honest site has t colluding neighbours, who could
 *       otherwise rebuild its self-mask and its mask key;
 *   <li>hiding: n · (δ+γ)^(k/2) ≤ 2^−σ — removing dropped and colluding sites leaves the ring
 *       connected unless k/2 consecutive positions are all removed, so every honest update stays
 *       masked by at least one honest survivor's pairwise mask and only the sum is revealed.
 * </ul>
 *
 * t > k/2 alone does <em>not</em> stop a malicious coordinator: telling every neighbour j of a
 * victim "the victim survived, the other neighbours dropped" collects t shares of the victim's
 * self-mask and of every neighbour's mask key. That is stopped by the survivor-set consistency
 * check ({@link SecAggClient}); with it, in the complete graph, t > (n + c)/2 for c colluding sites
 * makes any two sets that honest sites answer for share an honest signer. For sparse graphs the
 * neighbourhood-local check is tested against that attack, not proved. If no k < n−1 qualifies, the
 * complete graph (k = n−1, plain SecAgg) is tried with the first two conditions. Binomial tails
 * over-approximate the hypergeometric counts of a fixed number of dropouts (Hoeffding 1963).
 */
public record GraphPlan(NeighbourGraph.Kind kind, int degree, int threshold) {

  public GraphPlan {
    if (kind == null) {
      throw new SecAggException.InvalidParameters("graph kind must be set");
    }
    if (threshold < 2) {
      throw new SecAggException.InvalidParameters(
          "threshold must be >= 2 (one share would reveal a secret), got " + threshold);
    }
    if (kind == NeighbourGraph.Kind.HARARY && (degree < 2 || degree % 2 != 0)) {
      throw new SecAggException.InvalidParameters(
          "degree of a Harary graph must be even and >= 2, got " + degree);
    }
    if (threshold > degree) {
      throw new SecAggException.InvalidParameters(
          "threshold " + threshold + " exceeds degree " + degree);
    }
    if (2 * threshold <= degree) {
      throw new SecAggException.InvalidParameters(
          "threshold " + threshold + " must be a strict majority of degree " + degree);
    }
  }

  /** Plain SecAgg: everyone is everyone's neighbour. */
  public static GraphPlan complete(int sites, int threshold) {
    return new GraphPlan(NeighbourGraph.Kind.COMPLETE, sites - 1, threshold);
  }

  /** SecAgg+: a random k-regular Harary graph. */
  public static GraphPlan harary(int degree, int threshold) {
    return new GraphPlan(NeighbourGraph.Kind.HARARY, degree, threshold);
  }

  /**
   * Picks k and t as described in the class comment.
   *
   * @param dropoutRate δ, the fraction of sites expected to drop out during a round
   * @param corruptFraction γ, the fraction of sites assumed to collude with the coordinator
   * @param securityBits σ, privacy failure probability at most 2^−σ (Bell et al. use 40)
   * @param correctnessBits η, probability at most 2^−η that a round fails for lack of shares
   */
  public static GraphPlan choose(
      int sites,
      double dropoutRate,
      double corruptFraction,
      int securityBits,
      int correctnessBits) {
    if (sites < 3) {
      throw new SecAggException.InvalidParameters(
          "secure aggregation needs at least 3 sites, got " + sites);
    }
    if (!(dropoutRate >= 0 && dropoutRate < 1) || !(corruptFraction >= 0 && corruptFraction < 1)) {
      throw new SecAggException.InvalidParameters(
          "dropout rate and corrupt fraction must lie in [0, 1)");
    }
    double logSecurity = -securityBits * Math.log(2) - Math.log(sites);
    double logCorrectness = -correctnessBits * Math.log(2) - Math.log(sites);
    for (int k = 2; k < sites - 1; k += 2) {
      double logDisconnect = (k / 2) * Math.log(dropoutRate + corruptFraction);
      if (logDisconnect > logSecurity) {
        continue;
      }
      Integer t = smallestThreshold(k, dropoutRate, corruptFraction, logSecurity, logCorrectness);
      if (t != null) {
        return harary(k, t);
      }
    }
    Integer t =
        smallestThreshold(sites - 1, dropoutRate, corruptFraction, logSecurity, logCorrectness);
    if (t == null) {
      throw new SecAggException.InfeasibleGraph(
          String.format(
              "no threshold meets security_bits=%d and correctness_bits=%d for sites=%d, dropout_rate=%.3f, corrupt_fraction=%.3f",
              securityBits, correctnessBits, sites, dropoutRate, corruptFraction));
    }
    return complete(sites, t);
  }

  private static Integer smallestThreshold(
      int k, double dropout, double corrupt, double logSecurity, double logCorrectness) {
    for (int t = Math.max(2, k / 2 + 1); t <= k; t++) {
      boolean isPrivate = logUpperTail(k, corrupt, t) <= logSecurity;
      if (isPrivate) {
        // Larger t only makes correctness worse: the smallest private t is the only candidate.
        boolean isCorrect = logLowerTail(k, 1 - dropout, t) <= logCorrectness;
        return isCorrect ? t : null;
      }
    }
    return null;
  }

  /** log P[Bin(n, p) ≥ t]. */
  static double logUpperTail(int n, double p, int t) {
    return logSumBinomial(n, p, t, n);
  }

  /** log P[Bin(n, p) < t]. */
  static double logLowerTail(int n, double p, int t) {
    return logSumBinomial(n, p, 0, t - 1);
  }

  private static double logSumBinomial(int n, double p, int from, int to) {
    if (from > to) {
      return Double.NEGATIVE_INFINITY;
    }
    double max = Double.NEGATIVE_INFINITY;
    double[] terms = new double[to - from + 1];
    for (int i = from; i <= to; i++) {
      double term = logChoose(n, i) + xLogY(i, p) + xLogY(n - i, 1 - p);
      terms[i - from] = term;
      max = Math.max(max, term);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double sum = 0;
    for (double term : terms) {
      sum += Math.exp(term - max);
    }
    return max + Math.log(sum);
  }

  private static double xLogY(int x, double y) {
    return x == 0 ? 0 : x * Math.log(y);
  }

  private static double logChoose(int n, int k) {
    double result = 0;
    for (int i = 1; i <= k; i++) {
      result += Math.log(n - k + i) - Math.log(i);
    }
    return result;
  }
}
