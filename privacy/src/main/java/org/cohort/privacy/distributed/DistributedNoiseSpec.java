package org.cohort.privacy.distributed;

/**
 * What a round of distributed DP asks for; {@link DistributedNoisePlan#create} turns it into the
 * integer parameters.
 *
 * @param dimension d, the length of each site's float vector
 * @param clipNorm C, the L2 bound on one protected contribution, in real units
 * @param noiseMultiplier z: the aggregate of {@code guaranteedShares} shares has noise standard
 *     deviation z·C per coordinate, in real units
 * @param guaranteedShares n_min: the sum is released only if at least this many sites' shares are
 *     in it, so each share carries 1/n_min of the noise variance and the guarantee survives
 *     dropouts (a site that drops adds neither data nor noise)
 * @param maxShares n_max: all invited sites; sizes the modulus, since up to this many shares and
 *     inputs can land in the sum
 * @param bits b: secure aggregation sums residues mod 2^b, b in [8, 32]
 * @param kSigmas how many standard deviations of the summed coordinate must fit in [-2^(b-1),
 *     2^(b-1)); {@link #DEFAULT_K_SIGMAS} makes a wrap of one coordinate about a 6e-5 event
 * @param contributions what a site's vector is, which fixes rounding and sensitivity
 * @param noiseKind the integer noise of each share
 */
public record DistributedNoiseSpec(
    int dimension,
    double clipNorm,
    double noiseMultiplier,
    int guaranteedShares,
    int maxShares,
    int bits,
    double kSigmas,
    Contributions contributions,
    NoiseKind noiseKind) {

  public static final double DEFAULT_K_SIGMAS = 4;
  public static final int MIN_BITS = 8;
  public static final int MAX_BITS = 32;

  public DistributedNoiseSpec {
    if (dimension < 1 || dimension > RandomizedHadamard.MAX_PADDED_DIMENSION) {
      throw new IllegalArgumentException("dimension must be in [1, 2^30], got " + dimension);
    }
    requirePositiveFinite(clipNorm, "clip norm");
    requirePositiveFinite(noiseMultiplier, "noise multiplier");
    if (guaranteedShares < 1 || maxShares < guaranteedShares) {
      throw new IllegalArgumentException(
          "need 1 <= guaranteedShares <= maxShares, got " + guaranteedShares + " and " + maxShares);
    }
    if (bits < MIN_BITS || bits > MAX_BITS) {
      throw new IllegalArgumentException(
          "bits must be in [" + MIN_BITS + ", " + MAX_BITS + "], got " + bits);
    }
    if (!(kSigmas >= 1) || Double.isInfinite(kSigmas)) {
      throw new IllegalArgumentException("kSigmas must be >= 1 and finite, got " + kSigmas);
    }
    if (contributions == null || noiseKind == null) {
      throw new IllegalArgumentException("contributions and noise kind are required");
    }
  }

  private static void requirePositiveFinite(double value, String what) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(what + " must be > 0 and finite, got " + value);
    }
  }
}
