package org.cohort.protocol.metrics;

/**
 * How {@link MetricSums} become slots of a masked vector whose every slot may hold at most {@code
 * maxSlot} per site (secure aggregation's max_weight: the sum over sites then fits its modulus, as
 * the weight does). A fixed-point loss sum of up to maxSlot examples is split into {@code
 * lossLimbs} digits of {@code limbBits} bits, each at most 2^limbBits − 1 ≤ maxSlot.
 */
public record SlotLayout(long maxSlot, int limbBits, int lossLimbs) {

  public static SlotLayout forMaxSlot(long maxSlot) {
    if (maxSlot < 1) {
      throw new IllegalArgumentException("max slot must be >= 1, got " + maxSlot);
    }
    int limbBits = 63 - Long.numberOfLeadingZeros(maxSlot + 1); // 2^limbBits − 1 ≤ maxSlot
    // A loss sum is at most maxSlot examples × LOSS_CAP × 2^LOSS_FRACTION_BITS.
    int lossBits =
        64
            - Long.numberOfLeadingZeros(
                Math.multiplyExact(
                    maxSlot, Math.round(MetricSums.LOSS_CAP) << MetricSums.LOSS_FRACTION_BITS));
    return new SlotLayout(maxSlot, limbBits, (lossBits + limbBits - 1) / limbBits);
  }

  /**
   * Slots in the masked vector: held-out examples and correct ones, the held-out loss limbs,
   * training examples and loss limbs, and the two histograms.
   */
  public int slotCount() {
    return 2 + lossLimbs + 1 + lossLimbs + 2 * MetricSums.BINS;
  }

  long requireCount(long count, String what) {
    if (count < 0 || count > maxSlot) {
      throw new IllegalArgumentException(
          what + " must be in [0, " + maxSlot + "] (secure_aggregation.max_weight)");
    }
    return count;
  }

  int writeLimbs(long fixedLoss, long examples, long[] slots, int at) {
    requireCount(examples, "examples");
    long cap = examples * (Math.round(MetricSums.LOSS_CAP) << MetricSums.LOSS_FRACTION_BITS);
    if (fixedLoss < 0 || fixedLoss > cap) {
      throw new IllegalArgumentException("a loss sum must lie in [0, examples × loss cap]");
    }
    long mask = (1L << limbBits) - 1;
    for (int limb = 0; limb < lossLimbs; limb++) {
      slots[at++] = (fixedLoss >>> (limb * limbBits)) & mask;
    }
    return at;
  }

  long readLimbs(long[] sums, int at) {
    long value = 0;
    for (int limb = lossLimbs - 1; limb >= 0; limb--) {
      value = Math.addExact(Math.multiplyExact(value, 1L << limbBits), sums[at + limb]);
    }
    return value;
  }
}
