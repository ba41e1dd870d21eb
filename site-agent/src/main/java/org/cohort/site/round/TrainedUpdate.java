package org.cohort.site.round;

import org.cohort.protocol.v1.LocalMetrics;

/** A finished update (new − old parameters, after the task's transforms) and what goes with it. */
record TrainedUpdate(float[] values, long exampleCount, LocalMetrics metrics) {}
