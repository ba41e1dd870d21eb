package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

  @Test
  void waitersGetReleasedBuffersInOrderAndMemoryStaysAtKBuffers() {
    BufferPool<float[]> pool = BufferPool.floats(1, 3);
    AtomicReference<float[]> first = new AtomicReference<>();
    AtomicReference<float[]> second = new AtomicReference<>();
    AtomicReference<float[]> third = new AtomicReference<>();
    pool.acquire(first::set);
    pool.acquire(second::set);
    pool.acquire(third::set);
    assertEquals(3, first.get().length);
    assertNull(second.get());
    pool.release(first.get());
    assertSame(first.get(), second.get());
    assertNull(third.get());
    pool.release(second.get());
    assertSame(first.get(), third.get());
    pool.release(third.get());
    assertEquals(1, pool.available());
    assertThrows(IllegalArgumentException.class, () -> pool.release(new float[2]));
  }
}
