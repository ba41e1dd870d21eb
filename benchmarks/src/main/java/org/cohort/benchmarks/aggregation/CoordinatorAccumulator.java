package org.cohort.benchmarks.aggregation;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Consumer;

/**
 * The coordinator's staging buffers ({@code BufferPool}, package-private on purpose): the benchmark
 * reaches them through method handles instead of widening the coordinator's API. Handles are
 * resolved once; invoking one costs nothing next to folding a million floats.
 */
final class CoordinatorAccumulator {

  private static final String PACKAGE = "org.cohort.coordinator.";
  private static final MethodHandle NEW_POOL;
  private static final MethodHandle ACQUIRE;
  private static final MethodHandle RELEASE;

  static {
    try {
      Class<?> pool = Class.forName(PACKAGE + "BufferPool");
      MethodHandles.Lookup poolAccess = MethodHandles.privateLookupIn(pool, MethodHandles.lookup());
      NEW_POOL =
          poolAccess.findStatic(pool, "floats", MethodType.methodType(pool, int.class, int.class));
      ACQUIRE =
          poolAccess.findVirtual(
              pool, "acquire", MethodType.methodType(void.class, Consumer.class));
      RELEASE =
          poolAccess.findVirtual(pool, "release", MethodType.methodType(void.class, Object.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A pool of {@code buffers} model-sized float buffers, as the plain path stages updates. */
  static final class Pool {
    private final Object pool;

    Pool(int buffers, int elements) {
      pool = invoke(() -> NEW_POOL.invoke(buffers, elements));
    }

    /** A free buffer; the benchmark never holds more than the pool has, so one is always free. */
    float[] acquire() {
      float[][] granted = new float[1][];
      Consumer<float[]> grant = buffer -> granted[0] = buffer;
      invoke(() -> ACQUIRE.invoke(pool, grant));
      if (granted[0] == null) {
        throw new IllegalStateException("staging pool exhausted");
      }
      return granted[0];
    }

    void release(float[] buffer) {
      invoke(() -> RELEASE.invoke(pool, buffer));
    }
  }

  private interface Call {
    Object run() throws Throwable;
  }

  private static Object invoke(Call call) {
    try {
      return call.run();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private CoordinatorAccumulator() {}
}
