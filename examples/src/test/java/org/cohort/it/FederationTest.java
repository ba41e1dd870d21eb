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
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sites and a coordinator over loopback mutual TLS run a whole federation with secure aggregation
 * (the default), on the complete graph and on a sparse SecAgg+ graph. The coordinator only ever
 * unmasks the sum, and the global model it applies equals the plain example-weighted FedAvg of the
 * sites' updates within the stated quantization bound.
 */
class FederationTest {

  private static final long[] EXAMPLES = {100, 300, 1600, 50, 700};

  /**
   * The known updates reach |2.4|; a clip range that holds them keeps the comparison to FedAvg
   * exact up to rounding.
   */
  private static final double CLIP = 4.0;

  static Stream<Arguments> graphs() {
    return Stream.of(
        Arguments.of("complete", 3, TestFederation.secureAggregation("complete", null, null, CLIP)),
        // 5 sites on a ring, each masking with its 2 ring neighbours (k = 2, t = 2).
        Arguments.of("sparse", 5, TestFederation.secureAggregation("sparse", 2, 2, CLIP)));
  }

  @ParameterizedTest(name = "{0} graph, {1} sites")
  @MethodSource("graphs")
  void secureRoundsApplyTheWeightedMeanWithinTheQuantizationBound(
      String graph,
      int siteCount,
      CoordinatorConfig.SecureAggregation secureAggregation,
      @TempDir Path dir)
      throws Exception {
    List<String> sites =
        List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d", "hospital-e")
            .subList(0, siteCount);
    int rounds = 3;
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(sites, siteCount, rounds, 30)
                  .withSecureAggregation(secureAggregation));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      float[] initial = coordinator.globalModel().parameters();
      KnownUpdateTrainer[] trainers = new KnownUpdateTrainer[siteCount];
      SiteAgent[] agents = new SiteAgent[siteCount];
      for (int i = 0; i < siteCount; i++) {
        trainers[i] = new KnownUpdateTrainer(i, EXAMPLES[i]);
        agents[i] = federation.startSite(sites.get(i), coordinator.port(), trainers[i]);
      }

      await().atMost(Duration.ofSeconds(90)).until(() -> coordinator.finished().isDone());
      assertEquals((long) rounds, coordinator.finished().get());
      for (SiteAgent agent : agents) {
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.finished().isDone());
        assertEquals(rounds, agent.updatesSent());
        assertTrue(
            agent.secureAggregationRefusals().isEmpty(),
            () -> agent.secureAggregationRefusals().toString());
      }

      long totalWeight = Arrays.stream(EXAMPLES, 0, siteCount).sum();
      // Every coordinate of the dequantized weighted sum is within s / scale; the mean within that
      // / total weight.
      double bound =
          new SecAggParameters(
                      siteCount,
                      initial.length,
                      GraphPlan.complete(siteCount, siteCount / 2 + 1),
                      32,
                      CLIP,
                      100_000)
                  .sumErrorBound(siteCount)
              / totalWeight;
      assertArrayEquals(initial, trainers[0].calls().get(0).received());
      for (int round = 0; round < rounds; round++) {
        float[] base = trainers[0].calls().get(round).received();
        for (KnownUpdateTrainer trainer : trainers) {
          assertArrayEquals(
              base, trainer.calls().get(round).received(), "round " + (round + 1) + " global");
        }
        int index = round;
        float[] expected =
            KnownUpdateTrainer.weightedMean(
                base, Arrays.stream(trainers).map(trainer -> trainer.calls().get(index)).toList());
        float[] applied =
            round + 1 < rounds
                ? trainers[0].calls().get(round + 1).received()
                : coordinator.globalModel().parameters();
        assertFalse(Arrays.equals(base, applied), "the global model must change every round");
        for (int i = 0; i < expected.length; i++) {
          // float32 rounding of the applied model adds at most an ulp or two on top of the
          // quantization bound.
          assertEquals(
              expected[i], applied[i], bound + 1e-6, "round " + (round + 1) + " element " + i);
        }
      }
      assertEquals(rounds, coordinator.globalModel().completedRounds());

      assertEquals(rounds, summaries.size());
      double meanEvalLoss =
          IntStream.range(0, siteCount).mapToDouble(i -> 0.5 + i).average().orElseThrow();
      for (RoundSummary summary : summaries) {
        assertEquals(RoundPhase.COMPLETED, summary.phase());
        assertEquals(siteCount, summary.contributions());
        assertEquals(
            totalWeight, summary.totalExamples(), "the coordinator learns the total weight");
        assertEquals(meanEvalLoss, summary.meanEvalLoss(), 1e-9);
      }

      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + coordinator.metricsAddress().orElseThrow().getPort()
                                  + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());
      assertTrue(
          metrics.body().contains("cohort_rounds_completed_total " + rounds + ".0"),
          metrics.body());
      assertTrue(metrics.body().contains("cohort_transport_bytes_in_total"), metrics.body());
    }
  }
}
