package org.cohort.coordinator;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * K model-sized buffers an upload is received into before it is folded. An upload is folded only
 * when complete, so a site that disconnects mid-upload leaves nothing in the sum; K bounds memory
 * at O(K x model) whatever the number of sites. Waiters are served first come, first served.
 */
final class StagingPool {

  private final Deque<float[]> free = new ArrayDeque<>();
  private final Deque<Consumer<float[]>> waiters = new ArrayDeque<>();
  private final int elements;

  StagingPool(int buffers, int elements) {
    this.elements = elements;
    for (int i = 0; i < buffers; i++) {
      free.add(new float[elements]);
    }
  }

  /** Hands a buffer to {@code grant} now or when one is released (on the releasing thread). */
  void acquire(Consumer<float[]> grant) {
    float[] buffer;
    synchronized (this) {
      buffer = free.poll();
      if (buffer == null) {
        waiters.add(grant);
        return;
      }
    }
    grant.accept(buffer);
  }

  void release(float[] buffer) {
    if (buffer.length != elements) {
      throw new IllegalArgumentException("not a buffer of this pool");
    }
    Consumer<float[]> waiter;
    synchronized (this) {
      waiter = waiters.poll();
      if (waiter == null) {
        free.add(buffer);
        return;
      }
    }
    waiter.accept(buffer);
  }

  synchronized int available() {
    return free.size();
  }
}
