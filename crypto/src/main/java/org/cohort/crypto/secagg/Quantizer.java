package org.cohort.crypto.secagg;

import java.security.SecureRandom;

/**
 * Clip, weight and stochastically round an update into Z_(2^32) (reduced mod 2^bits on the wire),
 * and turn an unmasked sum back into a weighted sum and total weight. See {@link SecAggParameters}
 * for the scale and the error bound.
 */
final class Quantizer {
  private static final double TWO_TO_MINUS_32 = 0x1p-32;

  private final SecAggParameters parameters;

  Quantizer(SecAggParameters parameters) {
    this.parameters = parameters;
  }

  /**
   * Returns a new int[maskedLength]: round(weight · clip(update[i]) · scale) with probability of
   * rounding up equal to the fractional part, then the weight, then {@code counts} as they are. The
   * rounding coins come from an AES-CTR stream keyed with 256 bits drawn from {@code random} (one
   * SecureRandom call instead of one per coordinate).
   */
  int[] quantize(float[] update, long weight, long[] counts, SecureRandom random) {
    if (parameters.encoding() != SecAggParameters.Encoding.FIXED_POINT) {
      throw new SecAggException.InvalidParameters(
          "the round expects integer residues, not fixed-point updates");
    }
    if (update.length != parameters.vectorLength()) {
      throw new SecAggException.InvalidParameters(
          "update has "
              + update.length
              + " values, round expects vector_length="
              + parameters.vectorLength());
    }
    if (weight < 1 || weight > parameters.maxWeight()) {
      throw new SecAggException.InvalidParameters(
          "weight must be in 1..max_weight=" + parameters.maxWeight());
    }
    if (counts.length != parameters.countSlots()) {
      throw new SecAggException.InvalidParameters(
          counts.length + " counts, round expects count_slots=" + parameters.countSlots());
    }
    for (long count : counts) {
      if (count < 0 || count > parameters.maxWeight()) {
        throw new SecAggException.InvalidParameters(
            "every count must be in 0..max_weight=" + parameters.maxWeight());
      }
    }
    byte[] coinSeed = new byte[SecAggKdf.KEY_BYTES];
    random.nextBytes(coinSeed);
    Keystream coins = new Keystream(coinSeed);
    int[] coinWords = new int[Keystream.CHUNK_WORDS];
    double clip = parameters.clip();
    double factor = weight * parameters.scale();
    int[] out = new int[parameters.maskedLength()];
    for (int start = 0; start < update.length; start += Keystream.CHUNK_WORDS) {
      int count = Math.min(Keystream.CHUNK_WORDS, update.length - start);
      coins.next(coinWords, count);
      for (int i = 0; i < count; i++) {
        float value = update[start + i];
        if (Float.isNaN(value)) {
          throw new SecAggException.InvalidParameters("update contains NaN");
        }
        double scaled = Math.max(-clip, Math.min(clip, value)) * factor;
        double floor = Math.floor(scaled);
        double uniform = (coinWords[i] & 0xffffffffL) * TWO_TO_MINUS_32;
        out[start + i] = (int) ((long) floor + (uniform < scaled - floor ? 1 : 0));
      }
    }
    out[update.length] = (int) weight;
    for (int k = 0; k < counts.length; k++) {
      out[update.length + 1 + k] = (int) counts[k];
    }
    return out;
  }

  /**
   * Returns a new int[maskedLength]: {@code residues} (already integers mod 2^bits, reduced here
   * again so that no high bit leaks into the sum) and the weight 1.
   */
  int[] integerInput(int[] residues) {
    if (parameters.encoding() != SecAggParameters.Encoding.INTEGER) {
      throw new SecAggException.InvalidParameters(
          "the round expects fixed-point updates, not integer residues");
    }
    if (residues.length != parameters.vectorLength()) {
      throw new SecAggException.InvalidParameters(
          residues.length + " residues, round expects vector_length=" + parameters.vectorLength());
    }
    int residueMask = parameters.residueMask();
    int[] out = new int[parameters.maskedLength()];
    for (int i = 0; i < residues.length; i++) {
      out[i] = residues[i] & residueMask;
    }
    out[residues.length] = 1;
    return out;
  }

  /** Interprets an unmasked sum (already reduced mod 2^bits) as signed values and rescales. */
  AggregateResultValues dequantize(int[] sum) {
    int shift = 32 - parameters.bits();
    double inverseScale = 1 / parameters.scale();
    int length = parameters.vectorLength();
    double[] weightedSum = new double[length];
    for (int i = 0; i < length; i++) {
      weightedSum[i] = ((sum[i] << shift) >> shift) * inverseScale;
    }
    long totalWeight = (sum[length] << shift) >> shift;
    long[] countSums = new long[parameters.countSlots()];
    for (int k = 0; k < countSums.length; k++) {
      countSums[k] = (sum[length + 1 + k] << shift) >> shift;
    }
    return new AggregateResultValues(weightedSum, totalWeight, countSums);
  }

  record AggregateResultValues(double[] weightedSum, long totalWeight, long[] countSums) {}
}
