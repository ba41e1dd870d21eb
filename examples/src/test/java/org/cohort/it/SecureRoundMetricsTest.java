package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundSummary;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, finding 8, over real mutual TLS with real training: in a secure round a site's metrics
 * and example count used to travel in the clear beside its masked vector. Now no plaintext envelope
 * a site sends carries either, and the coordinator still reports the pooled held-out loss and
 * accuracy of each round's global model, which this test recomputes from every site's own figures.
 */
class SecureRoundMetricsTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");
  private static final int ROUNDS = 2;

  /** Records each site's own metrics of every global model it trains from. */
  private record Recording(LocalTrainer inner, List<LocalMetrics> seen) implements LocalTrainer {
    @Override
    public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
      seen.add(inner.evaluate(model, global));
      return inner.train(model, settings, global);
    }

    @Override
    public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
      return inner.evaluate(model, parameters);
    }
  }

  @Test
  void aSecureRoundShowsOnlyPooledMetricsAndNoSiteSendsItsOwn(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, SITES.size(), ROUNDS, 60));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      List<Recording> trainers = new ArrayList<>();
      List<Envelope> sentByA = new CopyOnWriteArrayList<>();
      for (int i = 0; i < SITES.size(); i++) {
        Recording trainer =
            new Recording(Trainers.real(federation, i), new CopyOnWriteArrayList<>());
        trainers.add(trainer);
        federation.startSite(
            SITES.get(i),
            coordinator.port(),
            trainer,
            i > 0
                ? options -> options
                : options ->
                    options.plaintextTap(
                        () ->
                            new PlaintextFrames(
                                new ByteArrayOutputStream(),
                                envelope -> {
                                  sentByA.add(envelope);
                                  return false;
                                })));
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> coordinator.finished().isDone());
      assertEquals(ROUNDS, coordinator.finished().get());

      // Positive control: the tap saw hospital-a's masked inputs.
      assertEquals(ROUNDS, sentByA.stream().filter(Envelope::hasMaskedInputHeader).count());
      // A masked input's header has no metrics field any more (protocol 1.3); a plain upload's
      // header would carry the example count and the metrics.
      for (Envelope envelope : sentByA) {
        assertFalse(envelope.hasUpdateHeader(), "no example count or metrics in the clear");
      }

      assertEquals(ROUNDS, summaries.size());
      for (int round = 0; round < ROUNDS; round++) {
        long examples = 0;
        double lossSum = 0;
        double correct = 0;
        for (Recording trainer : trainers) {
          LocalMetrics own = trainer.seen().get(round);
          examples += own.getEvalExamples();
          lossSum += own.getEvalExamples() * own.getEvalLoss();
          correct += own.getEvalExamples() * own.getEvalAccuracy();
        }
        RoundSummary summary = summaries.get(round);
        // Per-example losses are rounded to 2^-10 on the sites, so the mean is within 2^-11.
        assertEquals(
            lossSum / examples,
            summary.meanEvalLoss(),
            0x1p-11,
            "round " + (round + 1) + " pooled held-out loss");
        assertEquals(correct / examples, summary.meanEvalAccuracy(), 1e-9, "round " + (round + 1));
        assertTrue(
            summary.meanEvalAuroc() >= 0 && summary.meanEvalAuroc() <= 1,
            "pooled AUROC from the summed histograms: " + summary.meanEvalAuroc());
      }
    }
  }
}
