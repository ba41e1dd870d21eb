package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundSummary;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.training.LocalTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, finding 4, over real mutual TLS: in a plain round one site claims 2^62 examples and
 * moves every parameter by +50. Without bounds the mean is the hostile update; with
 * aggregation.max_weight and max_update_norm its weight counts as max_weight and its update is
 * scaled to the norm bound, and the applied model is the bounded weighted mean, recomputed here.
 */
class PlainRoundBoundsTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d", "hospital-e");
  private static final long MAX_WEIGHT = 1_000;
  private static final double MAX_UPDATE_NORM = 5;
  private static final long CLAIMED_EXAMPLES = 1L << 62;
  private static final float SHIFT = 50;

  /** Sends global + 50 in every coordinate and claims 2^62 examples. */
  private record Hostile() implements LocalTrainer {
    @Override
    public Outcome train(ModelSpec model, TrainingSettings settings, float[] global) {
      float[] next = global.clone();
      for (int i = 0; i < next.length; i++) {
        next[i] += SHIFT;
      }
      return new Outcome(next, CLAIMED_EXAMPLES, LocalMetrics.getDefaultInstance());
    }

    @Override
    public LocalMetrics evaluate(ModelSpec model, float[] parameters) {
      return LocalMetrics.getDefaultInstance();
    }
  }

  @Test
  void oneSiteCannotOwnAPlainRoundByClaimingExamplesOrTakingAHugeStep(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, SITES.size(), 1, 30)
                  .plain()
                  .withContributionBounds(MAX_WEIGHT, MAX_UPDATE_NORM));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      float[] initial = coordinator.globalModel().parameters();
      KnownUpdateTrainer[] honest = new KnownUpdateTrainer[SITES.size() - 1];
      for (int i = 0; i < honest.length; i++) {
        honest[i] = new KnownUpdateTrainer(i, 100);
        federation.startSite(SITES.get(i), coordinator.port(), honest[i]);
      }
      federation.startSite(SITES.get(SITES.size() - 1), coordinator.port(), new Hostile());
      assertEquals(1, coordinator.finished().get(60, TimeUnit.SECONDS));

      // The hostile update (50, ..., 50) has norm 50·sqrt(P): it counts as MAX_UPDATE_NORM along
      // the same direction, with weight MAX_WEIGHT.
      double clippedShift = MAX_UPDATE_NORM / Math.sqrt(initial.length);
      double totalWeight = MAX_WEIGHT;
      double[] sum = new double[initial.length];
      for (KnownUpdateTrainer site : honest) {
        KnownUpdateTrainer.Call call = site.calls().get(0);
        float[] update = call.update();
        for (int j = 0; j < sum.length; j++) {
          sum[j] += call.examples() * (double) update[j];
        }
        totalWeight += call.examples();
      }
      float[] applied = coordinator.globalModel().parameters();
      for (int j = 0; j < initial.length; j++) {
        double expected = (sum[j] + MAX_WEIGHT * clippedShift) / totalWeight;
        assertEquals(
            expected, applied[j] - initial[j], 1e-4, "parameter " + j + " of the applied model");
      }
      // A plain round reports the sites' own metrics: the honest ones evaluated 10 examples at
      // losses 0.5, 1.5, 2.5, 3.5; the hostile one reported none.
      await().atMost(Duration.ofSeconds(10)).until(() -> !summaries.isEmpty());
      assertEquals(2.0, summaries.get(0).meanEvalLoss(), 1e-9);
    }
  }
}
