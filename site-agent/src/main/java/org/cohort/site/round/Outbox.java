package org.cohort.site.round;

/**
 * Where a {@link RoundPipeline} puts its replies. Called only on the connection thread the pipeline
 * was given, and only with replies that are still wanted (their task is the current one), so an
 * implementation just writes.
 */
@FunctionalInterface
public interface Outbox {
  void send(Reply reply);
}
