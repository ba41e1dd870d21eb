package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three sites and a coordinator over loopback mutual TLS run a whole federation. */
class FederationTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

  @Test
  void threeSitesCompleteThreeRoundsAndTheGlobalIsTheExampleWeightedMean(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator = federation.startCoordinator("coordinator.yaml",
          new TestFederation.Settings(SITES, 3, 3, 30));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(new RoundListener() {
        @Override
        public void roundFinished(RoundSummary summary) {
          summaries.add(summary);
        }
      });
      float[] initial = coordinator.globalModel().parameters();
      long[] examples = {100, 300, 1600};
      KnownUpdateTrainer[] trainers = new KnownUpdateTrainer[3];
      SiteAgent[] agents = new SiteAgent[3];
      for (int i = 0; i < 3; i++) {
        trainers[i] = new KnownUpdateTrainer(i, examples[i]);
        agents[i] = federation.startSite(SITES.get(i), coordinator.port(), trainers[i]);
      }

      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      assertEquals(3L, coordinator.finished().get());
      for (SiteAgent agent : agents) {
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.finished().isDone());
        assertEquals(3, agent.updatesSent());
      }

      float[] expected = initial;
      for (int round = 0; round < 3; round++) {
        for (KnownUpdateTrainer trainer : trainers) {
          assertArrayEquals(expected, trainer.calls().get(round).received(), "round " + (round + 1) + " global");
        }
        float[] next = weightedMean(expected, trainers, round);
        assertFalse(Arrays.equals(expected, next), "the global model must change every round");
        expected = next;
      }
      float[] finalGlobal = coordinator.globalModel().parameters();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], finalGlobal[i], 1e-6, "final global element " + i);
      }
      assertEquals(3, coordinator.globalModel().completedRounds());

      assertEquals(3, summaries.size());
      for (RoundSummary summary : summaries) {
        assertEquals(RoundPhase.COMPLETED, summary.phase());
        assertEquals(3, summary.contributions());
        assertEquals(2000, summary.totalExamples());
        assertEquals(0.5 + 1.0, summary.meanEvalLoss(), 1e-9);
      }

      HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + coordinator.metricsAddress().orElseThrow().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("cohort_rounds_completed_total 3.0"), metrics.body());
      assertTrue(metrics.body().contains("cohort_transport_bytes_in_total"), metrics.body());
    }
  }

  /**
   * Expected next global, computed independently of the coordinator: received + sum(w_k u_k) / sum(w_k),
   * where u_k is what site k's trainer returned minus what it received.
   */
  private static float[] weightedMean(float[] base, KnownUpdateTrainer[] trainers, int round) {
    double[] sum = new double[base.length];
    double weights = 0;
    for (KnownUpdateTrainer trainer : trainers) {
      KnownUpdateTrainer.Call call = trainer.calls().get(round);
      float[] update = call.update();
      for (int i = 0; i < sum.length; i++) {
        sum[i] += call.examples() * (double) update[i];
      }
      weights += call.examples();
    }
    float[] next = new float[base.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = (float) (base[i] + sum[i] / weights);
    }
    return next;
  }
}
