package org.cohort.coordinator.aggregate;

/**
 * One round's aggregated update: the mean (weighted or robust) of the sites' deltas (new − old
 * weights).
 */
public record AggregateUpdate(float[] delta, long totalWeight, int contributions) {}
