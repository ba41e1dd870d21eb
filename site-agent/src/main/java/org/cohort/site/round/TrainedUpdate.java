package org.cohort.site.round;

import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.v1.LocalMetrics;

/**
 * A finished update (new − old parameters, after the task's transforms) and what goes with it: the
 * site's own metrics for a plain round, their integer sums for a secure one.
 */
record TrainedUpdate(float[] values, long exampleCount, LocalMetrics metrics, MetricSums sums)
    implements Contribution {}
