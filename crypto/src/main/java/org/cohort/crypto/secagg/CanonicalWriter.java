package org.cohort.crypto.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one canonical encoding of every secure-aggregation message: big-endian fixed-width integers,
 * 4-byte length prefixes, UTF-8 strings. Also used to build signed bytes and KDF/AEAD contexts, so
 * a field boundary can never be shifted to forge another message.
 */
final class CanonicalWriter {
  private static final VarHandle INT_BE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] buffer;
  private int length;

  CanonicalWriter(int expectedSize) {
    buffer = new byte[Math.max(16, expectedSize)];
  }

  /** Starts a message: type tag and format version. */
  static CanonicalWriter message(MessageType type, int expectedSize) {
    CanonicalWriter writer = new CanonicalWriter(expectedSize + 2);
    return writer.u8(type.tag()).u8(MessageType.FORMAT_VERSION);
  }

  private void ensure(int extra) {
    if (length + extra > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + extra));
    }
  }

  CanonicalWriter u8(int value) {
    ensure(1);
    buffer[length++] = (byte) value;
    return this;
  }

  CanonicalWriter i32(int value) {
    ensure(4);
    INT_BE.set(buffer, length, value);
    length += 4;
    return this;
  }

  CanonicalWriter i64(long value) {
    ensure(8);
    LONG_BE.set(buffer, length, value);
    length += 8;
    return this;
  }

  CanonicalWriter f64(double value) {
    return i64(Double.doubleToLongBits(value));
  }

  CanonicalWriter raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buffer, length, bytes.length);
    length += bytes.length;
    return this;
  }

  CanonicalWriter bytes(byte[] bytes) {
    return i32(bytes.length).raw(bytes);
  }

  CanonicalWriter string(String value) {
    return bytes(value.getBytes(StandardCharsets.UTF_8));
  }

  CanonicalWriter id(ParticipantId id) {
    return string(id.value());
  }

  /** Residues mod 2^bits, each in ceil(bits/8) big-endian bytes. */
  CanonicalWriter residues(int[] values, int bits) {
    int width = (bits + 7) / 8;
    i32(values.length);
    ensure(values.length * width);
    if (width == 4) {
      for (int value : values) {
        INT_BE.set(buffer, length, value);
        length += 4;
      }
    } else {
      for (int value : values) {
        for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
          buffer[length++] = (byte) (value >>> shift);
        }
      }
    }
    return this;
  }

  byte[] toByteArray() {
    return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
  }
}
