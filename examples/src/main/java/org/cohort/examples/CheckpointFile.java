package org.cohort.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Reads the coordinator's checkpoint file ({@code <checkpoint.directory>/global-model.ckpt}) from
 * another process. Format (little endian), as written by the coordinator's CheckpointStore: magic
 * "CHK1" (int 0x43484b31), last round (long), completed rounds (long), element count (int), the
 * float32 parameters, then the CRC32C of everything before it (long).
 */
public final class CheckpointFile {

  public static final String FILE_NAME = "global-model.ckpt";
  private static final int MAGIC = 0x43484b31;
  private static final int HEADER_BYTES = 4 + 8 + 8 + 4;

  /** The global model after {@code completedRounds} completed rounds. */
  public record Contents(long lastRound, long completedRounds, float[] parameters) {}

  private CheckpointFile() {}

  public static Contents read(Path file, int expectedElements) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the coordinator's checkpoint " + file, e);
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < HEADER_BYTES + 8 || buffer.getInt() != MAGIC) {
      throw new IllegalStateException(file + " is not a Cohort checkpoint");
    }
    long lastRound = buffer.getLong();
    long completedRounds = buffer.getLong();
    int elements = buffer.getInt();
    if (elements != expectedElements || bytes.length != HEADER_BYTES + (long) elements * Float.BYTES + 8) {
      throw new IllegalStateException(file + " holds " + elements + " parameters in " + bytes.length
          + " bytes; the model has " + expectedElements);
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 8);
    if (crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()) {
      throw new IllegalStateException(file + " fails its checksum");
    }
    float[] parameters = new float[elements];
    buffer.asFloatBuffer().get(parameters);
    return new Contents(lastRound, completedRounds, parameters);
  }
}
