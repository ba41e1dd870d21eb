package org.cohort.protocol.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * 32-bit integers (masked-input residues) as little-endian bytes, the encoding of
 * STREAM_MASKED_INPUT data.
 */
public final class IntsLittleEndian {

  private IntsLittleEndian() {}

  public static ByteString encode(int[] values, int offset, int length) {
    byte[] bytes = new byte[Math.multiplyExact(length, Integer.BYTES)];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values, offset, length);
    // The array is fresh and never touched again, so wrapping it without a copy is safe.
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /**
   * Decodes {@code data} into {@code target} starting at {@code offset}; returns the element count.
   */
  public static int decode(ByteString data, int[] target, int offset) {
    int count = data.size() / Integer.BYTES;
    data.asReadOnlyByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN)
        .asIntBuffer()
        .get(target, offset, count);
    return count;
  }
}
