package org.cohort.site.round;

/**
 * One stage between the trained update (new − old parameters) and its encoding. Runs on the
 * training thread and changes the update in place; the pipeline applies a task's transforms in
 * order, to plain and secure updates alike.
 */
@FunctionalInterface
public interface UpdateTransform {
  void apply(float[] update);
}
