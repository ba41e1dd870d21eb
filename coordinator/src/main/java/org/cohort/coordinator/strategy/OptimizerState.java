package org.cohort.coordinator.strategy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A stateful server optimizer's checkpointed state: its step count (0 = never applied, vectors
 * empty) and equal-length float vectors (momentum, second moment). The encoding carries a format
 * version and the strategy's name so that, say, a fedadam checkpoint cannot be restored into
 * fedyogi. Little-endian: int version, int name length, name (UTF-8), long steps, int vector count,
 * int elements, then each vector's float32s.
 */
record OptimizerState(StrategyName strategy, long steps, float[]... vectors) {

  static final int VERSION = 1;

  byte[] encode() {
    byte[] name = strategy.spelling().getBytes(StandardCharsets.UTF_8);
    int elements = vectors.length == 0 ? 0 : vectors[0].length;
    int size =
        Math.toIntExact(
            4 + 4 + name.length + 8 + 4 + 4 + (long) vectors.length * elements * Float.BYTES);
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(VERSION)
        .putInt(name.length)
        .put(name)
        .putLong(steps)
        .putInt(vectors.length)
        .putInt(elements);
    for (float[] vector : vectors) {
      out.asFloatBuffer().put(vector);
      out.position(out.position() + vector.length * Float.BYTES);
    }
    return out.array();
  }

  /**
   * The state of {@code expected}, which keeps {@code vectorCount} vectors;
   * IllegalArgumentException if the bytes are anything else.
   */
  static OptimizerState decode(byte[] bytes, StrategyName expected, int vectorCount) {
    if (bytes.length == 0) {
      throw new IllegalArgumentException(
          expected
              + " needs its optimizer state, but the checkpoint has none: "
              + "it was written by a strategy without optimizer state");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int version = in.getInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "optimizer state has format version "
                + version
                + ", this coordinator reads version "
                + VERSION);
      }
      int nameLength = in.getInt();
      if (nameLength < 0 || nameLength > in.remaining()) {
        throw new IllegalArgumentException(
            "optimizer state for " + expected + " is corrupt (bad name length)");
      }
      byte[] name = new byte[nameLength];
      in.get(name);
      String written = new String(name, StandardCharsets.UTF_8);
      if (!written.equals(expected.spelling())) {
        throw new IllegalArgumentException(
            "optimizer state belongs to " + written + ", not " + expected);
      }
      long steps = in.getLong();
      int count = in.getInt();
      int elements = in.getInt();
      if (count != vectorCount
          || elements < 0
          || in.remaining() != (long) count * elements * Float.BYTES) {
        throw new IllegalArgumentException(
            "optimizer state for " + expected + " is truncated or corrupt");
      }
      float[][] vectors = new float[count][elements];
      for (float[] vector : vectors) {
        in.asFloatBuffer().get(vector);
        in.position(in.position() + elements * Float.BYTES);
      }
      return new OptimizerState(expected, steps, vectors);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException(
          "optimizer state for " + expected + " is truncated or corrupt");
    }
  }

  /** A restored state must match the model it is applied to. */
  static void requireSameLength(StrategyName strategy, float[] state, float[] global) {
    if (state.length != global.length) {
      throw new IllegalArgumentException(
          strategy
              + " optimizer state has "
              + state.length
              + " elements, the model has "
              + global.length);
    }
  }
}
