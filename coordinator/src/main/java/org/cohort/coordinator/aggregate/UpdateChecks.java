package org.cohort.coordinator.aggregate;

/**
 * The checks every aggregator applies before it keeps an update. Messages name the site and what is
 * wrong, never a value: updates are what the federation protects.
 */
final class UpdateChecks {

  private UpdateChecks() {}

  static void requireValid(String site, float[] delta, long weight, int elements) {
    if (delta.length != elements) {
      throw new IllegalArgumentException(
          "update from " + site + " has " + delta.length + " elements, the model has " + elements);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("update from " + site + " has a weight below 1");
    }
    for (float value : delta) {
      if (!Float.isFinite(value)) {
        throw new IllegalArgumentException("update from " + site + " contains a non-finite value");
      }
    }
  }
}
