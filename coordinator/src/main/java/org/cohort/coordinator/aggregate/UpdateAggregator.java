package org.cohort.coordinator.aggregate;

/**
 * Folds one plain (unmasked) round's individual updates. Confined to one thread (the coordinator's
 * round thread). add() copies whatever it keeps: the caller reuses the delta array right after.
 */
public interface UpdateAggregator extends AutoCloseable {

  /**
   * weight = the site's example count, >= 1. Throws IllegalArgumentException, naming the site but
   * no values, for a delta of the wrong length or with a NaN or infinity; a rejected update leaves
   * no trace.
   */
  void add(String site, float[] delta, long weight);

  int contributions();

  long totalWeight();

  /**
   * The aggregate of everything added; called once, after the last add, with contributions() >= 1.
   */
  AggregateUpdate result();

  /** Frees memory and any spill files; idempotent; called whether or not result() was. */
  @Override
  void close();
}
