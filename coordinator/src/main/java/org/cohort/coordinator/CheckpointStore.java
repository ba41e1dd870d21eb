package org.cohort.coordinator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global model and the server strategy's state after the last completed round, in one file
 * replaced atomically: written to a temporary file, fsynced, renamed over the old one with
 * ATOMIC_MOVE, and the directory fsynced. A crash leaves either the old or the new checkpoint,
 * never a torn one; a CRC catches corruption. The model is written in slices through one small
 * buffer, so saving never needs a second model-sized allocation.
 *
 * <p>Format (little endian). Version 2, magic "CHK2": last round (long), completed rounds (long),
 * strategy name (int length + UTF-8), strategy state (int length + bytes), element count (int), the
 * float32 parameters, then the CRC32C of everything before it (long). Version 1 ("CHK1", written
 * before server strategies existed) has no strategy fields; it still loads, as a FedAvg checkpoint.
 */
public final class CheckpointStore {

  private static final Logger log = LoggerFactory.getLogger(CheckpointStore.class);

  /**
   * What survives a restart. {@code strategy} names the strategy whose {@code strategyState} this
   * is.
   */
  public record Checkpoint(
      long lastRound, long completedRounds, float[] model, String strategy, byte[] strategyState) {}

  public static final String FILE_NAME = "global-model.ckpt";

  /** What a version 1 checkpoint's strategy was: FedAvg, the only one there was. */
  static final String VERSION_1_STRATEGY = "fedavg";

  private static final int MAGIC_V1 = 0x43484b31; // "CHK1"
  private static final int MAGIC_V2 = 0x43484b32; // "CHK2"
  private static final int SLICE_FLOATS = 256 * 1024;

  private final Path directory;

  public CheckpointStore(Path directory) {
    this.directory = directory;
  }

  public Path file() {
    return directory.resolve(FILE_NAME);
  }

  public void save(Checkpoint checkpoint) {
    byte[] strategy = checkpoint.strategy().getBytes(StandardCharsets.UTF_8);
    byte[] state = checkpoint.strategyState();
    float[] model = checkpoint.model();
    ByteBuffer header =
        ByteBuffer.allocate(4 + 8 + 8 + 4 + strategy.length + 4 + state.length + 4)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putInt(MAGIC_V2)
            .putLong(checkpoint.lastRound())
            .putLong(checkpoint.completedRounds())
            .putInt(strategy.length)
            .put(strategy)
            .putInt(state.length)
            .put(state)
            .putInt(model.length)
            .flip();
    CRC32C crc = new CRC32C();
    Path temp = null;
    try {
      Files.createDirectories(directory);
      temp = Files.createTempFile(directory, FILE_NAME, ".tmp");
      try (FileChannel out =
          FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        write(out, header, crc);
        ByteBuffer slice =
            ByteBuffer.allocate(Math.min(model.length, SLICE_FLOATS) * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < model.length; from += SLICE_FLOATS) {
          int length = Math.min(SLICE_FLOATS, model.length - from);
          slice.clear();
          slice.asFloatBuffer().put(model, from, length);
          slice.limit(length * Float.BYTES);
          write(out, slice, crc);
        }
        ByteBuffer trailer =
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(crc.getValue()).flip();
        write(out, trailer, null);
        out.force(true);
      }
      Files.move(temp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteIfPresent(temp);
      throw new UncheckedIOException("cannot write checkpoint in " + directory, e);
    }
    // The new checkpoint is in place from here on: it counts as saved. Syncing the directory makes
    // the rename durable; if that fails, a crash may bring back the previous checkpoint.
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      log.warn(
          "checkpoint {} written, but its directory could not be synced: {}",
          file(),
          e.getMessage());
    }
  }

  private static void deleteIfPresent(Path temp) {
    if (temp != null) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // The write already failed; a leftover temporary file is harmless and never loaded.
      }
    }
  }

  private static void write(FileChannel out, ByteBuffer bytes, CRC32C crc) throws IOException {
    if (crc != null) {
      crc.update(bytes.duplicate());
    }
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  }

  /**
   * The last checkpoint, if any; a damaged or mismatched one is an error, never silently ignored.
   */
  public Optional<Checkpoint> load(int expectedElements) {
    if (!Files.exists(file())) {
      return Optional.empty();
    }
    return Optional.of(read(file(), expectedElements));
  }

  /** Reads a checkpoint file of either version (also from another process, e.g. the demo). */
  public static Checkpoint read(Path file, int expectedElements) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("checkpoint " + file + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + file, e);
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int magic = buffer.getInt();
      if (magic != MAGIC_V1 && magic != MAGIC_V2) {
        throw new IllegalStateException("checkpoint " + file + " is not a Cohort checkpoint");
      }
      long lastRound = buffer.getLong();
      long completed = buffer.getLong();
      String strategy = VERSION_1_STRATEGY;
      byte[] state = new byte[0];
      if (magic == MAGIC_V2) {
        strategy = new String(bytesField(buffer), StandardCharsets.UTF_8);
        state = bytesField(buffer);
      }
      int elements = buffer.getInt();
      if (elements != expectedElements) {
        throw new IllegalStateException(
            "checkpoint "
                + file
                + " holds "
                + elements
                + " parameters but the configured model has "
                + expectedElements);
      }
      if (buffer.remaining() != (long) elements * Float.BYTES + 8) {
        throw new IllegalStateException("checkpoint " + file + " is truncated");
      }
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, bytes.length - 8);
      if (crc.getValue()
          != ByteBuffer.wrap(bytes, bytes.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()) {
        throw new IllegalStateException("checkpoint " + file + " fails its checksum");
      }
      float[] model = new float[elements];
      buffer.asFloatBuffer().get(model);
      return new Checkpoint(lastRound, completed, model, strategy, state);
    } catch (BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalStateException("checkpoint " + file + " is truncated");
    }
  }

  private static byte[] bytesField(ByteBuffer buffer) {
    int length = buffer.getInt();
    if (length < 0 || length > buffer.remaining()) {
      throw new BufferUnderflowException();
    }
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return bytes;
  }
}
