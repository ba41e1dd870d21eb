package org.cohort.coordinator;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * K model-sized buffers an upload is received into before it is summed (float[] updates on the
 * plain path, int[] masked inputs on the secure path). An upload is summed only when complete, so a
 * site that disconnects mid-upload leaves nothing in the sum; K bounds memory at O(K x model)
 * whatever the number of sites. Waiters are served first come, first served.
 */
final class BufferPool<B> {

  private final Deque<B> free = new ArrayDeque<>();
  private final Deque<Consumer<B>> waiters = new ArrayDeque<>();
  private final Set<B> own = Collections.newSetFromMap(new IdentityHashMap<>());

  BufferPool(int buffers, Supplier<B> allocate) {
    for (int i = 0; i < buffers; i++) {
      B buffer = allocate.get();
      free.add(buffer);
      own.add(buffer);
    }
  }

  static BufferPool<float[]> floats(int buffers, int elements) {
    return new BufferPool<>(buffers, () -> new float[elements]);
  }

  static BufferPool<int[]> ints(int buffers, int elements) {
    return new BufferPool<>(buffers, () -> new int[elements]);
  }

  /** Hands a buffer to {@code grant} now or when one is released (on the releasing thread). */
  void acquire(Consumer<B> grant) {
    B buffer;
    synchronized (this) {
      buffer = free.poll();
      if (buffer == null) {
        waiters.add(grant);
        return;
      }
    }
    grant.accept(buffer);
  }

  void release(B buffer) {
    if (!own.contains(buffer)) {
      throw new IllegalArgumentException("not a buffer of this pool");
    }
    Consumer<B> waiter;
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
