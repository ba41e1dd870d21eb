package org.cohort.it;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;

/** Holds one training call (the n-th) until released, so a test can act while a round is open. */
final class GatedTrainer implements LocalTrainer {

  private final LocalTrainer delegate;
  private final int gatedCall;
  private final AtomicInteger calls = new AtomicInteger();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch gate = new CountDownLatch(1);

  GatedTrainer(LocalTrainer delegate, int gatedCall) {
    this.delegate = delegate;
    this.gatedCall = gatedCall;
  }

  @Override
  public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
    if (calls.incrementAndGet() == gatedCall) {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("training interrupted", e);
      }
    }
    return delegate.train(model, settings, global);
  }

  /** Evaluations are never held: only training calls are counted and gated. */
  @Override
  public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
    return delegate.evaluate(model, parameters);
  }

  /** True once the gated call is waiting. */
  boolean isHeld() {
    return entered.getCount() == 0;
  }

  void release() {
    gate.countDown();
  }
}
