package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.GlobalModel;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator stops mid-federation; a new one on the same port resumes from the last checkpoint
 * with the same global model, the site agents reconnect by themselves (backoff) and the federation
 * runs to its end.
 */
class CheckpointRestartTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b");

  @Test
  void coordinatorResumesFromItsLastCheckpointAndSitesReconnect(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      TestFederation.Settings settings = new TestFederation.Settings(SITES, 2, 4, 30).plain();
      Coordinator first = federation.startCoordinator("coordinator.yaml", settings);
      int port = first.port();
      float[] initial = first.globalModel().parameters();
      // a holds its third training, so the first coordinator stops with round 3 open.
      GatedTrainer gatedA = new GatedTrainer(Trainers.real(federation, 0), 3);
      SiteAgent a = federation.startSite("hospital-a", port, gatedA);
      SiteAgent b = federation.startSite("hospital-b", port, Trainers.real(federation, 1));
      await().atMost(Duration.ofSeconds(60)).until(gatedA::isHeld);
      first.close();
      GlobalModel before = first.globalModel();
      assertEquals(2, before.completedRounds());
      assertFalse(
          Arrays.equals(initial, before.parameters()), "training must have moved the model");
      gatedA.release();

      Coordinator second = federation.startCoordinator("coordinator.yaml", settings, port);
      GlobalModel resumed = second.globalModel();
      assertArrayEquals(before.parameters(), resumed.parameters());
      assertEquals(2, resumed.completedRounds());

      await().atMost(Duration.ofSeconds(60)).until(() -> second.finished().isDone());
      assertEquals(4L, second.finished().get());
      assertTrue(second.globalModel().lastRound() > before.lastRound());
      assertEquals(2, a.welcomes(), "hospital-a reconnected to the restarted coordinator");
      assertEquals(2, b.welcomes(), "hospital-b reconnected to the restarted coordinator");
      assertTrue(b.updatesSent() >= 4, "b contributed to rounds on both coordinators");
    }
  }
}
