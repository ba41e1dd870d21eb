package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.protocol.v1.Stream;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sites that die mid-round: a site cut off mid-upload leaves nothing in the sum and the round
 * completes with the others; when too few remain the round is abandoned and nothing is applied; the
 * next round runs normally.
 */
class DropoutTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

  @Test
  void dropoutsNeverLeavePartialContributionsAndTooFewAbandonTheRound(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 3, 30).plain());
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      KnownUpdateTrainer trainerA = new KnownUpdateTrainer(0, 100);
      KnownUpdateTrainer trainerB = new KnownUpdateTrainer(1, 300);
      GatedTrainer gatedA = new GatedTrainer(trainerA, 1);
      GatedTrainer gatedB = new GatedTrainer(trainerB, 3);
      SiteAgent a = federation.startSite("hospital-a", coordinator.port(), gatedA);
      SiteAgent b = federation.startSite("hospital-b", coordinator.port(), gatedB);
      // hospital-c dies right after the first chunk of its round-2 update and stays away.
      SiteAgent c =
          federation.startSite(
              "hospital-c",
              coordinator.port(),
              new KnownUpdateTrainer(2, 1600),
              options ->
                  options.plaintextTap(
                      () ->
                          new PlaintextFrames(
                              new ByteArrayOutputStream(),
                              e ->
                                  e.getRound() == 2
                                      && e.hasTensorChunk()
                                      && e.getTensorChunk().getStream() == Stream.STREAM_UPDATE)),
              600_000);
      // Round 1 stays open until c has joined, so all three are tasked in round 2.
      await().atMost(Duration.ofSeconds(30)).until(() -> gatedA.isHeld() && c.isConnected());
      gatedA.release();

      await().atMost(Duration.ofSeconds(30)).until(() -> summaries.size() >= 2);
      assertEquals(RoundPhase.COMPLETED, summaries.get(0).phase());
      RoundSummary second = summaries.get(1);
      assertEquals(RoundPhase.COMPLETED, second.phase());
      assertEquals(2, second.contributions(), "the cut-off upload of hospital-c must not count");
      assertEquals(400, second.totalExamples());
      float[] afterRound1 = trainerA.calls().get(1).received();
      float[] afterRound2 = coordinator.globalModel().parameters();
      assertClose(
          KnownUpdateTrainer.weightedMean(
              afterRound1, List.of(trainerA.calls().get(1), trainerB.calls().get(1))),
          afterRound2);

      // Round 3: b dies while training, leaving only a: abandoned, nothing applied.
      await().atMost(Duration.ofSeconds(30)).until(gatedB::isHeld);
      b.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> summaries.size() >= 3);
      assertEquals(RoundPhase.ABANDONED, summaries.get(2).phase());
      assertArrayEquals(afterRound2, coordinator.globalModel().parameters());
      assertEquals(2, coordinator.globalModel().completedRounds());
      c.close();

      // Round 4 with the returning sites runs normally.
      KnownUpdateTrainer trainerB2 = new KnownUpdateTrainer(1, 300);
      KnownUpdateTrainer trainerC2 = new KnownUpdateTrainer(2, 1600);
      federation.startSite("hospital-b", coordinator.port(), trainerB2);
      federation.startSite("hospital-c", coordinator.port(), trainerC2);
      await().atMost(Duration.ofSeconds(30)).until(() -> coordinator.finished().isDone());
      RoundSummary fourth = summaries.get(3);
      assertEquals(RoundPhase.COMPLETED, fourth.phase());
      List<KnownUpdateTrainer.Call> round4 = new ArrayList<>();
      round4.add(trainerA.calls().get(trainerA.calls().size() - 1));
      round4.addAll(trainerB2.calls());
      round4.addAll(trainerC2.calls());
      assertEquals(fourth.contributions(), round4.size());
      for (KnownUpdateTrainer.Call call : round4) {
        assertArrayEquals(afterRound2, call.received());
      }
      assertClose(
          KnownUpdateTrainer.weightedMean(afterRound2, round4),
          coordinator.globalModel().parameters());
      assertEquals(
          1.0,
          coordinator
              .scrapeMetrics()
              .lines()
              .filter(l -> l.startsWith("cohort_rounds_abandoned_total"))
              .mapToDouble(l -> Double.parseDouble(l.split(" ")[1]))
              .sum());
      assertEquals(0, a.lastError().map(e -> 1).orElse(0));
    }
  }

  private static void assertClose(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-6, "element " + i);
    }
  }
}
