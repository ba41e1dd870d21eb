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
import java.util.function.Predicate;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sites killed at each step of a secure round (complete graph, 4 sites, t = 2): the coordinator
 * reconstructs what it needs from the survivors' shares and applies exactly the survivors' weighted
 * mean; with fewer than t answers left the round is abandoned and nothing is applied; the next
 * round runs normally. A site is "killed" by cutting its connection right after it wrote a given
 * message (and keeping it away), like a process dying at that point.
 */
class SecureDropoutTest {

  private static final double CLIP = 4.0;
  private static final CoordinatorConfig.SecureAggregation SECURE =
      TestFederation.secureAggregation("complete", null, null, CLIP);

  /**
   * Where the victim dies in round 2: right after writing the matching envelope. Only a whole
   * masked input counts: the victim is then a survivor whose self mask the others' shares remove,
   * although it never answers the unmask request (it dies during unmasking).
   */
  enum KillPoint {
    AFTER_ADVERTISING_KEYS(false, e -> e.hasKeyAdvert()),
    AFTER_SHARING_KEYS(false, e -> e.hasShareBundle()),
    MIDWAY_THROUGH_ITS_MASKED_INPUT(
        false,
        e -> e.hasTensorChunk() && e.getTensorChunk().getStream() == Stream.STREAM_MASKED_INPUT),
    AFTER_ITS_WHOLE_MASKED_INPUT(
        true,
        e ->
            e.hasTensorChunk()
                && e.getTensorChunk().getStream() == Stream.STREAM_MASKED_INPUT
                && e.getTensorChunk().getLast()),
    /** Dies in CONFIRMING, right after signing the survivor set: still a survivor. */
    AFTER_SIGNING_THE_SURVIVOR_SET(true, e -> e.hasSurvivorSignature());

    final boolean inputCounts;
    final Predicate<Envelope> lastWords;

    KillPoint(boolean inputCounts, Predicate<Envelope> lastWords) {
      this.inputCounts = inputCounts;
      this.lastWords = lastWords;
    }
  }

  @ParameterizedTest
  @EnumSource(KillPoint.class)
  void aSiteKilledMidRoundLeavesExactlyTheSurvivorsSum(KillPoint killPoint, @TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(
                      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d"), 2, 3, 30)
                  .withSecureAggregation(SECURE));
      List<RoundSummary> summaries = listen(coordinator);
      KnownUpdateTrainer a = new KnownUpdateTrainer(0, 100);
      KnownUpdateTrainer b = new KnownUpdateTrainer(1, 300);
      federation.startSite("hospital-a", coordinator.port(), a);
      federation.startSite("hospital-b", coordinator.port(), b);
      // Round 1 is a, b and the victim, which holds its training until c has joined: round 2 has
      // all four (t = 2, so one dropout is tolerated) and the victim dies in it.
      KnownUpdateTrainer victimTrainer = new KnownUpdateTrainer(3, 1600);
      GatedTrainer victim = new GatedTrainer(victimTrainer, 1);
      federation.startSite(
          "hospital-d",
          coordinator.port(),
          victim,
          options ->
              options.plaintextTap(
                  () ->
                      new PlaintextFrames(
                          new ByteArrayOutputStream(),
                          e -> e.getRound() == 2 && killPoint.lastWords.test(e))),
          600_000);
      await().atMost(Duration.ofSeconds(30)).until(victim::isHeld);
      KnownUpdateTrainer c = new KnownUpdateTrainer(2, 700);
      SiteAgent siteC = federation.startSite("hospital-c", coordinator.port(), c);
      await().atMost(Duration.ofSeconds(30)).until(siteC::isConnected);
      victim.release();

      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      assertEquals(
          RoundPhase.COMPLETED, summaries.get(0).phase(), summaries.get(0).abandonReason());
      RoundSummary second = summaries.get(1);
      assertEquals(RoundPhase.COMPLETED, second.phase(), second.abandonReason());
      List<KnownUpdateTrainer.Call> inputs =
          new ArrayList<>(List.of(a.calls().get(1), b.calls().get(1), c.calls().get(0)));
      if (killPoint.inputCounts) {
        inputs.add(victimTrainer.calls().get(1));
      }
      long weight = inputs.stream().mapToLong(KnownUpdateTrainer.Call::examples).sum();
      assertEquals(
          inputs.size(),
          second.contributions(),
          "exactly the inputs that arrived whole are unmasked");
      assertEquals(weight, second.totalExamples());
      float[] afterRound2 = a.calls().get(2).received();
      assertWithinBound(
          KnownUpdateTrainer.weightedMean(a.calls().get(1).received(), inputs),
          afterRound2,
          4,
          weight);

      RoundSummary third = summaries.get(2);
      assertEquals(RoundPhase.COMPLETED, third.phase(), third.abandonReason());
      assertEquals(3, third.contributions());
      assertWithinBound(
          KnownUpdateTrainer.weightedMean(
              afterRound2, List.of(a.calls().get(2), b.calls().get(2), c.calls().get(1))),
          coordinator.globalModel().parameters(),
          3,
          1100);
    }
  }

  @Test
  void tooFewAnswersToUnmaskAbandonTheRoundAndTheNextRoundRunsNormally(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(
                      List.of("hospital-a", "hospital-b", "hospital-c"), 2, 1, 30)
                  .withSecureAggregation(SECURE));
      List<RoundSummary> summaries = listen(coordinator);
      float[] initial = coordinator.globalModel().parameters();
      KnownUpdateTrainer a = new KnownUpdateTrainer(0, 100);
      federation.startSite("hospital-a", coordinator.port(), a);
      // b dies after sharing its keys, c after sending its whole masked input: only a can answer
      // the
      // unmask request, fewer than t = 2.
      federation.startSite(
          "hospital-b",
          coordinator.port(),
          new KnownUpdateTrainer(1, 300),
          options ->
              options.plaintextTap(
                  () ->
                      new PlaintextFrames(
                          new ByteArrayOutputStream(),
                          e -> e.getRound() == 1 && e.hasShareBundle())),
          600_000);
      federation.startSite(
          "hospital-c",
          coordinator.port(),
          new KnownUpdateTrainer(2, 700),
          options ->
              options.plaintextTap(
                  () ->
                      new PlaintextFrames(
                          new ByteArrayOutputStream(),
                          e ->
                              e.getRound() == 1
                                  && KillPoint.AFTER_ITS_WHOLE_MASKED_INPUT.lastWords.test(e))),
          600_000);

      await().atMost(Duration.ofSeconds(30)).until(() -> !summaries.isEmpty());
      assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
      assertArrayEquals(
          initial,
          coordinator.globalModel().parameters(),
          "nothing of an abandoned round is applied");
      assertEquals(0, coordinator.globalModel().completedRounds());

      KnownUpdateTrainer b = new KnownUpdateTrainer(1, 300);
      KnownUpdateTrainer c = new KnownUpdateTrainer(2, 700);
      federation.startSite("hospital-b", coordinator.port(), b);
      federation.startSite("hospital-c", coordinator.port(), c);
      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      // Round 1 ended in CONFIRMING (only a signed), so a revealed nothing on the initial model and
      // may contribute to it again with another participant set (finding 7b).
      RoundSummary second = summaries.get(1);
      assertEquals(RoundPhase.COMPLETED, second.phase(), second.abandonReason());
      assertEquals(3, second.contributions());
      KnownUpdateTrainer.Call lastOfA = a.calls().get(a.calls().size() - 1);
      assertArrayEquals(initial, lastOfA.received());
      assertWithinBound(
          KnownUpdateTrainer.weightedMean(
              initial, List.of(lastOfA, b.calls().get(0), c.calls().get(0))),
          coordinator.globalModel().parameters(),
          3,
          1100);
    }
  }

  private static List<RoundSummary> listen(Coordinator coordinator) {
    List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
    coordinator.addListener(
        new RoundListener() {
          @Override
          public void roundFinished(RoundSummary summary) {
            summaries.add(summary);
          }
        });
    return summaries;
  }

  /**
   * Within the quantization bound of a secure round of {@code sites} participants (plus float32
   * rounding).
   */
  private static void assertWithinBound(
      float[] expected, float[] actual, int sites, long totalWeight) {
    double bound =
        new SecAggParameters(
                        sites,
                        expected.length,
                        GraphPlan.complete(sites, (sites - 1) / 2 + 1),
                        32,
                        CLIP,
                        100_000)
                    .sumErrorBound(sites)
                / totalWeight
            + 1e-6;
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], bound, "element " + i);
    }
  }
}
