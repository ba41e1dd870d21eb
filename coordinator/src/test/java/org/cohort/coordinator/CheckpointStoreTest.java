package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  @Test
  void roundTripsAndReplacesAtomically(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    assertTrue(store.load(3).isEmpty());
    store.save(new CheckpointStore.Checkpoint(4, 3, new float[] {1f, -2f, 0.5f}));
    store.save(new CheckpointStore.Checkpoint(5, 4, new float[] {3f, 4f, Float.MIN_VALUE}));
    CheckpointStore.Checkpoint loaded = store.load(3).orElseThrow();
    assertEquals(5, loaded.lastRound());
    assertEquals(4, loaded.completedRounds());
    assertArrayEquals(new float[] {3f, 4f, Float.MIN_VALUE}, loaded.model());
    try (Stream<Path> files = Files.list(dir.resolve("ckpt"))) {
      assertEquals(1, files.count(), "no temporary files are left behind");
    }
  }

  @Test
  void damagedOrMismatchedCheckpointsAreErrors(@TempDir Path dir) throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    store.save(new CheckpointStore.Checkpoint(1, 1, new float[] {1f, 2f}));
    assertThrows(IllegalStateException.class, () -> store.load(3));
    byte[] bytes = Files.readAllBytes(store.file());
    bytes[30] ^= 1;
    Files.write(store.file(), bytes);
    assertThrows(IllegalStateException.class, () -> store.load(2));
    Files.write(store.file(), new byte[] {1, 2, 3});
    assertThrows(IllegalStateException.class, () -> store.load(2));
  }
}
