package org.cohort.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The global model after the last completed round, in one file replaced atomically: written to a
 * temporary file, fsynced, renamed over the old one with ATOMIC_MOVE, and the directory fsynced.
 * A crash leaves either the old or the new checkpoint, never a torn one; a CRC catches corruption.
 */
final class CheckpointStore {

  /** What survives a restart: the last round number used, completed rounds and the model. */
  record Checkpoint(long lastRound, long completedRounds, float[] model) {}

  static final String FILE_NAME = "global-model.ckpt";
  private static final int MAGIC = 0x43484b31; // "CHK1"
  private static final int HEADER_BYTES = 4 + 8 + 8 + 4;

  private final Path directory;

  CheckpointStore(Path directory) {
    this.directory = directory;
  }

  Path file() {
    return directory.resolve(FILE_NAME);
  }

  void save(Checkpoint checkpoint) {
    float[] model = checkpoint.model();
    ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + model.length * Float.BYTES + 8).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putInt(MAGIC).putLong(checkpoint.lastRound()).putLong(checkpoint.completedRounds()).putInt(model.length);
    buffer.asFloatBuffer().put(model);
    buffer.position(buffer.position() + model.length * Float.BYTES);
    CRC32C crc = new CRC32C();
    crc.update(buffer.array(), 0, buffer.position());
    buffer.putLong(crc.getValue());
    buffer.flip();
    try {
      Files.createDirectories(directory);
      Path temp = Files.createTempFile(directory, FILE_NAME, ".tmp");
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.move(temp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint in " + directory, e);
    }
  }

  /** The last checkpoint, if any; a damaged or mismatched one is an error, never silently ignored. */
  Optional<Checkpoint> load(int expectedElements) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file());
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file(), e);
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < HEADER_BYTES + 8 || buffer.getInt() != MAGIC) {
      throw new IllegalStateException("checkpoint " + file() + " is not a Cohort checkpoint");
    }
    long lastRound = buffer.getLong();
    long completed = buffer.getLong();
    int elements = buffer.getInt();
    if (elements != expectedElements) {
      throw new IllegalStateException("checkpoint " + file() + " holds " + elements
          + " parameters but the configured model has " + expectedElements);
    }
    if (bytes.length != HEADER_BYTES + elements * Float.BYTES + 8) {
      throw new IllegalStateException("checkpoint " + file() + " is truncated");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 8);
    if (crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()) {
      throw new IllegalStateException("checkpoint " + file() + " fails its checksum");
    }
    float[] model = new float[elements];
    buffer.asFloatBuffer().get(model);
    return Optional.of(new Checkpoint(lastRound, completed, model));
  }
}
