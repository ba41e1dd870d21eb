package org.cohort.coordinator.aggregate;

import org.cohort.privacy.noise.L2Clipping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link ContributionBounds} to every update before the wrapped aggregator sees it: the
 * weight is capped at max_weight and the delta scaled down, in place, to L2 norm max_update_norm.
 * Robust aggregators get the same bounds, so a poisoner's update is clipped before it is ranked.
 */
public final class BoundedAggregator implements UpdateAggregator {

  private static final Logger log = LoggerFactory.getLogger(BoundedAggregator.class);

  private final ContributionBounds bounds;
  private final UpdateAggregator inner;

  public BoundedAggregator(ContributionBounds bounds, UpdateAggregator inner) {
    this.bounds = bounds;
    this.inner = inner;
  }

  /** Clips {@code delta} in place (the caller hands it over, as the contract allows). */
  @Override
  public void add(String site, float[] delta, long weight) {
    double norm;
    try {
      norm = L2Clipping.clipInPlace(delta, bounds.maxUpdateNorm());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("update from " + site + " contains a non-finite value", e);
    }
    if (norm > bounds.maxUpdateNorm()) {
      log.info("update from {} clipped to aggregation.max_update_norm", site);
    }
    long counted = Math.min(weight, bounds.maxWeight());
    if (counted < weight) {
      log.info("weight of {} capped at aggregation.max_weight", site);
    }
    inner.add(site, delta, counted);
  }

  @Override
  public int contributions() {
    return inner.contributions();
  }

  @Override
  public long totalWeight() {
    return inner.totalWeight();
  }

  @Override
  public AggregateUpdate result() {
    return inner.result();
  }

  @Override
  public void close() {
    inner.close();
  }
}
