package org.cohort.site.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AurocTest {

  @Test
  void matchesAHandCountedCaseWithTies() {
    // positives score 0.9, 0.5, 0.5; negatives score 0.5, 0.2, 0.1, 0.5.
    float[] scores = {0.9f, 0.5f, 0.5f, 0.5f, 0.2f, 0.1f, 0.5f};
    float[] labels = {1, 1, 1, 0, 0, 0, 0};
    // Pairs (3 x 4 = 12): 0.9 beats all 4; each 0.5 beats 0.2 and 0.1 and ties the two 0.5s.
    // Wins = 4 + 2 x (2 + 0.5 x 2) = 10, AUROC = 10 / 12.
    assertEquals(10.0 / 12.0, Auroc.of(scores, labels), 1e-12);
  }

  @Test
  void perfectAndReversedRankings() {
    float[] labels = {0, 0, 1, 1};
    assertEquals(1.0, Auroc.of(new float[] {1, 2, 3, 4}, labels), 0.0);
    assertEquals(0.0, Auroc.of(new float[] {4, 3, 2, 1}, labels), 0.0);
    assertEquals(0.5, Auroc.of(new float[] {7, 7, 7, 7}, labels), 0.0);
  }

  @Test
  void oneClassOnlyIsUndefined() {
    assertTrue(Double.isNaN(Auroc.of(new float[] {0.1f, 0.7f}, new float[] {1, 1})));
    assertTrue(Double.isNaN(Auroc.of(new float[] {0.1f, 0.7f}, new float[] {0, 0})));
  }

  @Test
  void evaluationComputesLossAccuracyAndAurocFromLogits() {
    Evaluation e = Evaluation.fromLogits(new float[] {0f, 2f, -1f}, new float[] {1, 1, 0});
    double expectedLoss = (Math.log(2) + Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1))) / 3;
    assertEquals(expectedLoss, e.loss(), 1e-9);
    assertEquals(2.0 / 3, e.accuracy(), 1e-12); // logit 0 predicts negative
    assertEquals(1.0, e.auroc(), 0.0);
    assertEquals(3, e.examples());
  }
}
