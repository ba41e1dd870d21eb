package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @Test
  void roundTripsAndReplacesAtomically(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    assertTrue(store.load(3).isEmpty());
    store.save(
        new CheckpointStore.Checkpoint(4, 3, new float[] {1f, -2f, 0.5f}, "fedavg", new byte[0]));
    store.save(
        new CheckpointStore.Checkpoint(
            5, 4, new float[] {3f, 4f, Float.MIN_VALUE}, "fedadam", new byte[] {9, 8, 7}));
    CheckpointStore.Checkpoint loaded = store.load(3).orElseThrow();
    assertEquals(5, loaded.lastRound());
    assertEquals(4, loaded.completedRounds());
    assertArrayEquals(new float[] {3f, 4f, Float.MIN_VALUE}, loaded.model());
    assertEquals("fedadam", loaded.strategy());
    assertArrayEquals(new byte[] {9, 8, 7}, loaded.strategyState());
    try (Stream<Path> files = Files.list(dir.resolve("ckpt"))) {
      assertEquals(1, files.count(), "no temporary files are left behind");
    }
  }

  @Test
  void damagedOrMismatchedCheckpointsAreErrors(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    store.save(new CheckpointStore.Checkpoint(1, 1, new float[] {1f, 2f}, "fedavg", new byte[0]));
    assertThrows(IllegalStateException.class, () -> store.load(3));
    byte[] bytes = Files.readAllBytes(store.file());
    bytes[30] ^= 1;
    Files.write(store.file(), bytes);
    assertThrows(IllegalStateException.class, () -> store.load(2));
    Files.write(store.file(), new byte[] {1, 2, 3});
    assertThrows(IllegalStateException.class, () -> store.load(2));
  }

  /**
   * A checkpoint written before strategies existed ("CHK1", no strategy fields) still loads, as
   * FedAvg's.
   */
  @Test
  void versionOneCheckpointsStillLoad(@TempDir Path dir) throws Exception {
    float[] model = {0.25f, -1f};
    ByteBuffer v1 =
        ByteBuffer.allocate(4 + 8 + 8 + 4 + model.length * 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
    v1.putInt(0x43484b31)
        .putLong(6)
        .putLong(5)
        .putInt(model.length)
        .putFloat(model[0])
        .putFloat(model[1]);
    CRC32C crc = new CRC32C();
    crc.update(v1.array(), 0, v1.position());
    v1.putLong(crc.getValue());
    CheckpointStore store = new CheckpointStore(dir);
    Files.write(store.file(), v1.array());
    CheckpointStore.Checkpoint loaded = store.load(2).orElseThrow();
    assertEquals(6, loaded.lastRound());
    assertEquals(5, loaded.completedRounds());
    assertArrayEquals(model, loaded.model());
    assertEquals("fedavg", loaded.strategy());
    assertEquals(0, loaded.strategyState().length);
  }

  @Test
  void aModelLargerThanOneSliceRoundTrips(@TempDir Path dir) {
    float[] model = new float[600_001];
    for (int i = 0; i < model.length; i++) {
      model[i] = i * 0.5f - 7;
    }
    CheckpointStore store = new CheckpointStore(dir);
    store.save(new CheckpointStore.Checkpoint(1, 1, model, "fedavg", new byte[0]));
    assertArrayEquals(model, store.load(model.length).orElseThrow().model());
  }
}
