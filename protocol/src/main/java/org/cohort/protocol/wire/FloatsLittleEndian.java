package org.cohort.protocol.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float32 values as little-endian IEEE-754 bytes, the encoding of TensorChunk.data. */
public final class FloatsLittleEndian {

  private FloatsLittleEndian() {}

  public static ByteString encode(float[] values, int offset, int length) {
    byte[] bytes = new byte[Math.multiplyExact(length, Float.BYTES)];
    ByteBuffer.wrap(bytes)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .put(values, offset, length);
    // The array is fresh and never touched again, so wrapping it without a copy is safe.
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /**
   * Decodes {@code data} into {@code target} starting at {@code offset}; returns the element count.
   */
  public static int decode(ByteString data, float[] target, int offset) {
    int count = data.size() / Float.BYTES;
    data.asReadOnlyByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(target, offset, count);
    return count;
  }
}
