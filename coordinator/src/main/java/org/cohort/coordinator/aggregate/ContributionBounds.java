package org.cohort.coordinator.aggregate;

/**
 * How much one site's plain (unmasked) update can move a round: its weight counts for at most
 * {@code maxWeight} examples and its update for at most L2 norm {@code maxUpdateNorm}.
 *
 * <p>Both are enforced by capping, not refusing: an honest large hospital, or an honest site taking
 * a long step early in training, still contributes, with bounded influence — the same rule DP-SGD
 * uses for its clipping. A refusal threshold would instead be a cliff where the largest honest
 * contributors lose all their say while a liar who stays just under it keeps the maximum. Either
 * way a single site can move the mean by at most maxUpdateNorm · maxWeight / total weight.
 */
public record ContributionBounds(long maxWeight, double maxUpdateNorm) {

  public ContributionBounds {
    if (maxWeight < 1) {
      throw new IllegalArgumentException("max weight must be >= 1, got " + maxWeight);
    }
    if (!(maxUpdateNorm > 0) || Double.isInfinite(maxUpdateNorm)) {
      throw new IllegalArgumentException(
          "max update norm must be positive and finite, got " + maxUpdateNorm);
    }
  }
}
