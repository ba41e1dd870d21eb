package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.GlobalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted coordinator resumes from its last checkpoint with the same global model. */
class CheckpointRestartTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b");

  @Test
  void coordinatorResumesFromItsLastCheckpoint(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator first = federation.startCoordinator("coordinator.yaml", new TestFederation.Settings(SITES, 2, 2, 30));
      float[] initial = first.globalModel().parameters();
      federation.startSite("hospital-a", first.port(), Trainers.real(federation, 0));
      federation.startSite("hospital-b", first.port(), Trainers.real(federation, 1));
      await().atMost(Duration.ofSeconds(60)).until(() -> first.finished().isDone());
      GlobalModel before = first.globalModel();
      assertEquals(2, before.completedRounds());
      assertFalse(Arrays.equals(initial, before.parameters()), "training must have moved the model");
      first.close();

      // Same checkpoint directory, one more round to run.
      Coordinator second = federation.startCoordinator("coordinator-resumed.yaml",
          new TestFederation.Settings(SITES, 2, 3, 30));
      GlobalModel resumed = second.globalModel();
      assertArrayEquals(before.parameters(), resumed.parameters());
      assertEquals(2, resumed.completedRounds());
      assertEquals(before.lastRound(), resumed.lastRound());

      KnownUpdateTrainer a = new KnownUpdateTrainer(0, 10);
      federation.startSite("hospital-a", second.port(), a);
      federation.startSite("hospital-b", second.port(), new KnownUpdateTrainer(1, 10));
      await().atMost(Duration.ofSeconds(60)).until(() -> second.finished().isDone());
      assertEquals(3L, second.finished().get());
      assertArrayEquals(before.parameters(), a.calls().get(0).received(), "round 3 starts from the checkpointed model");
      assertEquals(before.lastRound() + 1, second.globalModel().lastRound());
    }
  }
}
