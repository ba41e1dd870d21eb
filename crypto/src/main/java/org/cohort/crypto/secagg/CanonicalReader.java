package org.cohort.crypto.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strict reader for {@link CanonicalWriter}'s format; anything else is a {@code MalformedMessage}.
 */
final class CanonicalReader {
  private static final VarHandle INT_BE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final byte[] input;
  private final String what;
  private int position;

  private CanonicalReader(byte[] input, String what) {
    this.input = input;
    this.what = what;
  }

  static CanonicalReader message(byte[] input, MessageType type) {
    CanonicalReader reader = new CanonicalReader(input, type.name());
    int tag = reader.u8();
    int version = reader.u8();
    if (tag != type.tag()) {
      throw new SecAggException.MalformedMessage("expected a " + type + " message");
    }
    if (version != MessageType.FORMAT_VERSION) {
      throw new SecAggException.MalformedMessage(
          type + " has unsupported format version " + version);
    }
    return reader;
  }

  private void need(int count) {
    if (count < 0 || input.length - position < count) {
      throw new SecAggException.MalformedMessage(what + " is truncated");
    }
  }

  int u8() {
    need(1);
    return input[position++] & 0xff;
  }

  int i32() {
    need(4);
    int value = (int) INT_BE.get(input, position);
    position += 4;
    return value;
  }

  long i64() {
    need(8);
    long value = (long) LONG_BE.get(input, position);
    position += 8;
    return value;
  }

  double f64() {
    return Double.longBitsToDouble(i64());
  }

  byte[] raw(int count) {
    need(count);
    byte[] out = Arrays.copyOfRange(input, position, position + count);
    position += count;
    return out;
  }

  byte[] bytes(int maxLength) {
    int count = i32();
    if (count < 0 || count > maxLength) {
      throw new SecAggException.MalformedMessage(
          what + " has a field longer than " + maxLength + " bytes");
    }
    return raw(count);
  }

  String string(int maxBytes) {
    byte[] utf8 = bytes(maxBytes);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SecAggException.MalformedMessage(what + " has a string that is not UTF-8");
    }
  }

  ParticipantId id() {
    try {
      return new ParticipantId(string(ParticipantId.MAX_UTF8_BYTES));
    } catch (SecAggException.InvalidParameters e) {
      throw new SecAggException.MalformedMessage(what + " has an invalid participant id");
    }
  }

  /** A list length, bounded so a hostile length cannot make the reader allocate. */
  int count(int max) {
    int count = i32();
    if (count < 0 || count > max) {
      throw new SecAggException.MalformedMessage(what + " has a list longer than " + max);
    }
    return count;
  }

  int[] residues(int bits, int maxLength) {
    int width = (bits + 7) / 8;
    int count = count(maxLength);
    need(count * width);
    int[] values = new int[count];
    if (width == 4) {
      for (int i = 0; i < count; i++) {
        values[i] = (int) INT_BE.get(input, position);
        position += 4;
      }
    } else {
      for (int i = 0; i < count; i++) {
        int value = 0;
        for (int b = 0; b < width; b++) {
          value = (value << 8) | (input[position++] & 0xff);
        }
        values[i] = value;
      }
    }
    return values;
  }

  void expectEnd() {
    if (position != input.length) {
      throw new SecAggException.MalformedMessage(what + " has trailing bytes");
    }
  }
}
