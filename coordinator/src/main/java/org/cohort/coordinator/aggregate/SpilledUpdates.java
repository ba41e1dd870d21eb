package org.cohort.coordinator.aggregate;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One round's individual updates, written to a spill file as they arrive and read back in column
 * blocks, so a robust aggregator's memory does not grow with the model. Update u's element j is the
 * little-endian float32 at byte 4·(u·elements + j). The file is created owner-only (as
 * Files.createTempFile does on POSIX), since individual updates are exactly what secure aggregation
 * would otherwise hide, and deleted on close. Memory: a 64 KiB transfer buffer and n weights.
 */
final class SpilledUpdates implements AutoCloseable {

  /**
   * Elements read back at once for every update: block[u·length + j] is update u's element from +
   * j.
   */
  @FunctionalInterface
  interface BlockVisitor {
    void visit(int from, int length, float[] block);
  }

  private static final int TRANSFER_FLOATS = 16 * 1024;

  private final int elements;
  private final Path file;
  private final FileChannel channel;
  private final ByteBuffer transfer =
      ByteBuffer.allocateDirect(TRANSFER_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final FloatBuffer transferFloats = transfer.asFloatBuffer();
  private int count;
  private long totalWeight;
  private boolean closed;

  SpilledUpdates(int elements, Path directory) {
    this.elements = elements;
    try {
      Files.createDirectories(directory);
      this.file = Files.createTempFile(directory, "updates-", ".f32");
      this.channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a spill file in " + directory, e);
    }
  }

  void add(String site, float[] delta, long weight) {
    UpdateChecks.requireValid(site, delta, weight, elements);
    long position = (long) count * elements * Float.BYTES;
    try {
      for (int from = 0; from < elements; from += TRANSFER_FLOATS) {
        int length = Math.min(TRANSFER_FLOATS, elements - from);
        transferFloats.clear();
        transferFloats.put(delta, from, length);
        transfer.clear().limit(length * Float.BYTES);
        while (transfer.hasRemaining()) {
          position += channel.write(transfer, position);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot spill the update from " + site + " to " + file, e);
    }
    count++;
    totalWeight += weight;
  }

  int count() {
    return count;
  }

  long totalWeight() {
    return totalWeight;
  }

  int elements() {
    return elements;
  }

  /**
   * Visits the updates in column blocks of memoryBudgetBytes / (n × 4) elements (at least 1), so at
   * most ~memoryBudgetBytes of update data is in memory at once; the block array is reused.
   */
  void forEachBlock(long memoryBudgetBytes, BlockVisitor visitor) {
    if (count == 0) {
      throw new IllegalStateException("no updates to aggregate");
    }
    // Capped so the block stays a legal Java array whatever budget is asked for.
    long budgetFloats = Math.min(memoryBudgetBytes / Float.BYTES, Integer.MAX_VALUE - 8);
    int blockElements = (int) Math.max(1, Math.min(elements, budgetFloats / count));
    float[] block = new float[count * blockElements];
    for (int from = 0; from < elements; from += blockElements) {
      int length = Math.min(blockElements, elements - from);
      for (int u = 0; u < count; u++) {
        read(u, from, length, block, u * length);
      }
      visitor.visit(from, length, block);
    }
  }

  private void read(int update, int from, int length, float[] into, int offset) {
    long position = ((long) update * elements + from) * Float.BYTES;
    try {
      for (int done = 0; done < length; done += TRANSFER_FLOATS) {
        int chunk = Math.min(TRANSFER_FLOATS, length - done);
        transfer.clear().limit(chunk * Float.BYTES);
        while (transfer.hasRemaining()) {
          int read = channel.read(transfer, position);
          if (read < 0) {
            throw new EOFException(file + " ends before update " + update + " does");
          }
          position += read;
        }
        transferFloats.clear();
        transferFloats.get(into, offset + done, chunk);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read spilled updates from " + file, e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete spill file " + file, e);
    }
  }
}
