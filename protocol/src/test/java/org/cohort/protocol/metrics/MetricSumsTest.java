package org.cohort.protocol.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.cohort.protocol.v1.LocalMetrics;
import org.junit.jupiter.api.Test;

class MetricSumsTest {

  private static final SlotLayout LAYOUT = SlotLayout.forMaxSlot(100_000);

  @Test
  void theLayoutKeepsEverySlotAtMostTheMaximum() {
    assertEquals(16, LAYOUT.limbBits());
    // 100,000 examples × 32 nats × 2^10 needs 32 bits: two 16-bit limbs.
    assertEquals(2, LAYOUT.lossLimbs());
    assertEquals(new SlotLayout(1, 1, 16), SlotLayout.forMaxSlot(1));
    assertThrows(IllegalArgumentException.class, () -> SlotLayout.forMaxSlot(0));
  }

  @Test
  void slotSumsOverSitesGiveThePooledRecordsMetrics() {
    Random random = new Random(5);
    int sites = 3;
    int perSite = 400;
    float[] allLogits = new float[sites * perSite];
    float[] allLabels = new float[sites * perSite];
    long[] summed = new long[LAYOUT.slotCount()];
    MetricSums halfANat =
        new MetricSums(
            1000,
            0,
            1000L << (MetricSums.LOSS_FRACTION_BITS - 1),
            new long[MetricSums.BINS],
            new long[MetricSums.BINS],
            0,
            0);
    for (int s = 0; s < sites; s++) {
      float[] logits = new float[perSite];
      float[] labels = new float[perSite];
      for (int i = 0; i < perSite; i++) {
        labels[i] = random.nextDouble() < 0.3 ? 1f : 0f;
        // Informative but noisy scores, shifted per site (sites differ).
        logits[i] = (float) (2 * labels[i] - 1 + 1.5 * random.nextGaussian() + 0.3 * s);
        allLogits[s * perSite + i] = logits[i];
        allLabels[s * perSite + i] = labels[i];
      }
      long[] slots = MetricSums.of(logits, labels).withTraining(halfANat).toSlots(LAYOUT);
      for (int k = 0; k < slots.length; k++) {
        assertTrue(slots[k] >= 0 && slots[k] <= LAYOUT.maxSlot(), "slot " + k + " in range");
        summed[k] += slots[k];
      }
    }
    LocalMetrics pooled = MetricSums.fromSlots(summed, LAYOUT).pooled();

    double loss = 0;
    int correct = 0;
    long doubledWins = 0;
    long positives = 0;
    long negatives = 0;
    for (int i = 0; i < allLogits.length; i++) {
      double z = allLogits[i];
      double y = allLabels[i];
      loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;
      correct += (z > 0) == (y == 1) ? 1 : 0;
      if (y == 1) {
        positives++;
        for (int j = 0; j < allLogits.length; j++) {
          if (allLabels[j] == 0) {
            doubledWins += allLogits[i] > allLogits[j] ? 2 : allLogits[i] == allLogits[j] ? 1 : 0;
          }
        }
      } else {
        negatives++;
      }
    }
    assertEquals(allLogits.length, pooled.getEvalExamples());
    assertEquals(loss / allLogits.length, pooled.getEvalLoss(), 1e-3, "fixed-point rounding only");
    assertEquals((double) correct / allLogits.length, pooled.getEvalAccuracy(), 0);
    double exactAuroc = doubledWins / (2.0 * positives * negatives);
    assertEquals(exactAuroc, pooled.getEvalAuroc(), 2e-3, "ties inside a bin only");
    assertEquals(0.5, pooled.getTrainLoss(), 1e-12, "3 × 1000 examples at 0.5 nats each");
  }

  @Test
  void aHugeLossIsCappedAndEmptySetsGiveNaN() {
    MetricSums wrong = MetricSums.of(new float[] {-1000f}, new float[] {1f});
    assertEquals(MetricSums.LOSS_CAP, wrong.pooled().getEvalLoss(), 0);
    assertEquals(0, wrong.pooled().getEvalAccuracy(), 0);
    assertTrue(Double.isNaN(wrong.pooled().getEvalAuroc()), "one class only");
    LocalMetrics none = MetricSums.NONE.pooled();
    assertTrue(Double.isNaN(none.getEvalLoss()) && Double.isNaN(none.getTrainLoss()));
  }

  @Test
  void sumsNoRecordsCouldGiveAreReportedAsUnknown() {
    long[] slots = MetricSums.of(new float[] {1f, -1f}, new float[] {1f, 0f}).toSlots(LAYOUT);
    slots[1] += 5; // more correct examples than examples
    LocalMetrics metrics = MetricSums.fromSlots(slots, LAYOUT).pooled();
    assertTrue(Double.isNaN(metrics.getEvalAccuracy()) && Double.isNaN(metrics.getEvalAuroc()));
    long[] histogram = MetricSums.of(new float[] {1f}, new float[] {1f}).toSlots(LAYOUT);
    histogram[histogram.length - 1] += 1; // a negative nobody counted as an example
    assertTrue(Double.isNaN(MetricSums.fromSlots(histogram, LAYOUT).pooled().getEvalLoss()));
  }

  @Test
  void aCountAboveTheSlotMaximumIsRefused() {
    MetricSums big = MetricSums.of(new float[3], new float[] {1f, 0f, 1f});
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> big.toSlots(SlotLayout.forMaxSlot(2)));
    assertTrue(refused.getMessage().contains("secure_aggregation.max_weight"));
  }
}
