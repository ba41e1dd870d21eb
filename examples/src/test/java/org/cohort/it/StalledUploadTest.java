package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, finding 6, over real mutual TLS with one staging buffer: a hostile site announces its
 * upload (UpdateHeader), is granted the only buffer, and then sends nothing but heartbeats. Its
 * grant lapses after transport.idle_timeout_ms without progress, it leaves the round, and the
 * honest sites' uploads, which were waiting for that buffer, complete the same round.
 */
class StalledUploadTest {

  private static final List<String> HONEST = List.of("hospital-a", "hospital-b", "hospital-c");
  private static final String HOSTILE = "hospital-d";

  /** Passes every frame except the update's chunks: the header goes out, the data never does. */
  private static FrameRewriter withholdUpdateChunks(AtomicBoolean headerSent) {
    return new FrameRewriter(
        envelope -> {
          headerSent.compareAndSet(false, envelope.hasUpdateHeader());
          return envelope.hasTensorChunk() ? Optional.empty() : Optional.of(envelope);
        });
  }

  @Test
  void aSiteHoldingTheOnlyStagingBufferLosesItAndTheRoundCompletesWithoutIt(@TempDir Path dir)
      throws Exception {
    List<String> sites = new ArrayList<>(HONEST);
    sites.add(HOSTILE);
    try (TestFederation federation = new TestFederation(dir)) {
      // One staging buffer (TestFederation's default), at least 3 contributions, plain rounds.
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(sites, 3, 2, 30).plain());
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      // Round 1 runs with the honest sites only, held until the hostile one is connected; their
      // second training call is held until the hostile site holds the buffer in round 2.
      List<GatedTrainer> firstCalls = new ArrayList<>();
      List<GatedTrainer> secondCalls = new ArrayList<>();
      for (int i = 0; i < HONEST.size(); i++) {
        GatedTrainer first = new GatedTrainer(new KnownUpdateTrainer(i, 100), 1);
        GatedTrainer second = new GatedTrainer(first, 2);
        firstCalls.add(first);
        secondCalls.add(second);
        federation.startSite(HONEST.get(i), coordinator.port(), second);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> firstCalls.stream().allMatch(GatedTrainer::isHeld));
      AtomicBoolean headerSent = new AtomicBoolean();
      SiteAgent hostile =
          federation.startSite(
              HOSTILE,
              coordinator.port(),
              new KnownUpdateTrainer(HONEST.size(), 100),
              options -> options.plaintextTap(() -> withholdUpdateChunks(headerSent)));
      await().atMost(Duration.ofSeconds(30)).until(() -> hostile.welcomes() > 0);
      firstCalls.forEach(GatedTrainer::release);

      await().atMost(Duration.ofSeconds(30)).until(headerSent::get);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> secondCalls.stream().allMatch(GatedTrainer::isHeld));
      secondCalls.forEach(GatedTrainer::release);

      await().atMost(Duration.ofSeconds(90)).until(() -> summaries.size() >= 2);
      assertEquals(RoundPhase.COMPLETED, summaries.get(0).phase(), summaries.get(0).toString());
      RoundSummary second = summaries.get(1);
      assertEquals(RoundPhase.COMPLETED, second.phase(), second.toString());
      assertEquals(HONEST.size(), second.contributions(), "the honest uploads got the buffer");
    }
  }
}
