package org.cohort.privacy.distributed;

import java.util.function.LongSupplier;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.noise.DiscreteGaussianSampler;
import org.cohort.privacy.noise.DiscreteGaussianTable;
import org.cohort.privacy.noise.L2Clipping;
import org.cohort.privacy.noise.SkellamSampler;

/**
 * The integer pipeline of the distributed discrete Gaussian mechanism (Kairouz, Liu, Steinke, ICML
 * 2021, Algorithms 1 and 2) for one round, with everything the accountant needs.
 *
 * <p>Site ({@link #encode}): pad to d' = 2^ceil(log2 d), rotate with {@link RandomizedHadamard}
 * under the round's public seed, scale by 1/γ, round randomly to the integers (conditionally, see
 * {@link Contributions}), add one share of integer noise with variance {@link #shareVariance()},
 * reduce mod 2^b. Coordinator ({@link #decode}): read the unmasked sum mod 2^b as a signed number
 * in [-2^(b-1), 2^(b-1)), multiply by γ, rotate back, drop the padding.
 *
 * <p>Choice of γ. Following the paper's Section 4.4 and tensorflow_federated's distributed_dp, γ is
 * the finest grid for which k standard deviations of a summed coordinate still fit in 2^(b-1),
 * treating the rotated sum as sub-Gaussian (flatness ρ = 1 for the Hadamard rotation):
 *
 * <pre>
 *   (2^(b-1) γ / k)² = A²/d' + n_max γ²/4 + n_max (zC)²/n_min
 * </pre>
 *
 * with A the norm of the aggregate input (n_max·C when every site sends one contribution, all
 * aligned: the worst case), n_max γ²/4 the variance of n_max roundings and n_max shares of noise of
 * variance (zC)²/n_min each (a full round has more noise than the guarantee needs). There is a γ
 * only if (2^(b-1)/k)² > n_max/4. The grid is never made finer than C/2^24, as TFF caps its scale
 * at 1e6: a finer grid buys nothing (the rounding inflation is already about d'/2^49) and the cap
 * keeps every rounded coordinate of a contribution within 2^25, exact in double and in an int. For
 * Skellam noise γ is also coarsened until a share's variance is within {@link
 * SkellamSampler#MAX_VARIANCE}. Coarsening only makes a wrap less likely.
 *
 * <p>Sensitivity. In integer units, rounding inflates the clip C/γ to Δ₂ = C/γ + √d' in the worst
 * case, or for {@link Contributions.OnePerSite} with β > 0 to min(C/γ + √d', sqrt((C/γ)² + d'/4 +
 * sqrt(2 ln(1/β))·(C/γ + √d'/2))) (the paper's Theorem 1 and Section 4.1, as in TFF's
 * inflated_l2_norm_bound). The L1 bound of an integer vector is Δ₁ = min(Δ₂², √d'·Δ₂). A plan whose
 * Δ₂ exceeds {@link #MAX_SENSITIVITY_INFLATION}·C/γ is refused: the accountant would still be
 * correct with the inflated Δ₂, but the grid would then waste a large part of the noise.
 *
 * <p>Instances are immutable and come only from {@link #create}, so the derived numbers always
 * belong to the spec.
 */
public final class DistributedNoisePlan {

  /** Largest accepted ratio Δ₂ / (C/γ). */
  public static final double MAX_SENSITIVITY_INFLATION = 1.25;

  /** The finest grid is C / 2^24. */
  static final double MAX_SCALED_CLIP = 0x1.0p24;

  /**
   * Building a {@link DiscreteGaussianTable} costs about as much per unit of σ as 200 to 250
   * samples of the exact sampler (measured warm on this machine: 0.07 ms per unit of σ against 0.3
   * to 0.45 µs per exact sample), so the table pays off when σ·256 <= d'.
   */
  private static final int TABLE_SETUP_SAMPLES_PER_SIGMA = 256;

  /** Share variances below this are kept to 16 fractional bits, above it rounded up to integers. */
  private static final double INTEGER_VARIANCE_FROM = 0x1.0p16;

  private static final long VARIANCE_DENOMINATOR = 1L << 16;

  /** The input norm may exceed C by float rounding of the clipping, never by more. */
  private static final double NORM_SLACK = 1 + 0x1.0p-20;

  private final DistributedNoiseSpec spec;
  private final int paddedDimension;
  private final double gamma;
  private final double l2Sensitivity;
  private final double l1Sensitivity;
  private final long shareVarianceNumerator;
  private final long shareVarianceDenominator;

  private DistributedNoisePlan(
      DistributedNoiseSpec spec,
      int paddedDimension,
      double gamma,
      double l2Sensitivity,
      long shareVarianceNumerator,
      long shareVarianceDenominator) {
    this.spec = spec;
    this.paddedDimension = paddedDimension;
    this.gamma = gamma;
    this.l2Sensitivity = l2Sensitivity;
    this.l1Sensitivity =
        Math.min(l2Sensitivity * l2Sensitivity, Math.sqrt(paddedDimension) * l2Sensitivity);
    this.shareVarianceNumerator = shareVarianceNumerator;
    this.shareVarianceDenominator = shareVarianceDenominator;
  }

  /**
   * Chooses γ and derives the sensitivities and the share noise.
   *
   * @throws UnworkableNoisePlanException when b bits cannot hold the sum at k sigmas for any γ, or
   *     when the best γ inflates the L2 sensitivity beyond {@link #MAX_SENSITIVITY_INFLATION}
   */
  public static DistributedNoisePlan create(DistributedNoiseSpec spec) {
    int padded = RandomizedHadamard.paddedDimension(spec.dimension());
    double c = spec.clipNorm();
    double z = spec.noiseMultiplier();
    double nMax = spec.maxShares();
    double nMin = spec.guaranteedShares();
    double halfRangeInSigmas = Math.scalb(1.0, spec.bits() - 1) / spec.kSigmas();
    double roomForData = halfRangeInSigmas * halfRangeInSigmas - nMax / 4;
    if (!(roomForData > 0)) {
      throw new UnworkableNoisePlanException(
          String.format(
              "%d bits cannot hold the rounding error of %d sites at %.1f sigmas for any grid:"
                  + " need 2^(b-1)/k > sqrt(n_max)/2; use more bits or fewer sites",
              spec.bits(), spec.maxShares(), spec.kSigmas()));
    }
    double aggregateNorm =
        spec.contributions() instanceof Contributions.SummedAtSite summed
            ? summed.aggregateNormBound()
            : nMax * c;
    double totalNoiseVariance = nMax * (z * c) * (z * c) / nMin;
    double gammaForWrap =
        Math.sqrt((aggregateNorm * aggregateNorm / padded + totalNoiseVariance) / roomForData);
    double gamma = Math.max(gammaForWrap, c / MAX_SCALED_CLIP);
    if (spec.noiseKind() == NoiseKind.SKELLAM) {
      gamma = Math.max(gamma, z * c / Math.sqrt(nMin * SkellamSampler.MAX_VARIANCE));
    }

    double scaledClip = c / gamma;
    double l2 = scaledClip + Math.sqrt(padded);
    if (spec.contributions() instanceof Contributions.OnePerSite one && one.beta() > 0) {
      double squared =
          scaledClip * scaledClip
              + padded / 4.0
              + Math.sqrt(2 * Math.log(1 / one.beta())) * (scaledClip + Math.sqrt(padded) / 2);
      l2 = Math.min(l2, Math.sqrt(squared));
    }
    double inflation = l2 / scaledClip;
    if (inflation > MAX_SENSITIVITY_INFLATION) {
      throw new UnworkableNoisePlanException(
          String.format(
              "rounding to the grid gamma = %.3g inflates the L2 sensitivity by %.0f%% (C/gamma ="
                  + " %.4g integer units against sqrt(d') = %.4g), more than the %.0f%% allowed;"
                  + " use more bits, %s or a smaller model",
              gamma,
              100 * (inflation - 1),
              scaledClip,
              Math.sqrt(padded),
              100 * (MAX_SENSITIVITY_INFLATION - 1),
              spec.contributions() instanceof Contributions.SummedAtSite
                  ? "a smaller expected batch (the grid must hold the whole batch's gradient sum)"
                  : "fewer sites"));
    }

    // Rounded up: a share never carries less than its 1/n_min of the variance.
    double shareVariance = (z * scaledClip) * (z * scaledClip) / nMin;
    long denominator = shareVariance >= INTEGER_VARIANCE_FROM ? 1 : VARIANCE_DENOMINATOR;
    long numerator = (long) Math.ceil(shareVariance * denominator);
    return new DistributedNoisePlan(spec, padded, gamma, l2, numerator, denominator);
  }

  public DistributedNoiseSpec spec() {
    return spec;
  }

  public int dimension() {
    return spec.dimension();
  }

  /** d', the length of the residue vectors. */
  public int paddedDimension() {
    return paddedDimension;
  }

  /** γ, the real value of one integer unit. */
  public double gamma() {
    return gamma;
  }

  public int bits() {
    return spec.bits();
  }

  public NoiseKind noiseKind() {
    return spec.noiseKind();
  }

  /** Δ₂: the L2 sensitivity of the integer sum, in integer units. */
  public double l2Sensitivity() {
    return l2Sensitivity;
  }

  /** Δ₁ = min(Δ₂², √d'·Δ₂): the L1 sensitivity of the integer sum, in integer units. */
  public double l1Sensitivity() {
    return l1Sensitivity;
  }

  /**
   * The variance parameter of one site's share, in integer units: σ² of N_Z(0, σ²) or the variance
   * of the Skellam share. It is (zC/γ)²/n_min rounded up to a multiple of 2^-16 (an integer above
   * 2^16).
   */
  public double shareVariance() {
    return (double) shareVarianceNumerator / shareVarianceDenominator;
  }

  /** √{@link #shareVariance()}: the σ of one share, in integer units. */
  public double shareSigma() {
    return Math.sqrt(shareVariance());
  }

  /**
   * The standard deviation per coordinate, in real units, of the noise in a decoded sum of {@code
   * contributingShares} shares: γ·sqrt(n·σ²) (the rotation back is orthogonal and keeps it). For a
   * discrete Gaussian with σ below about 1 the true variance is a little smaller than σ². The
   * rounding adds at most {@link #roundingErrorStdBound}.
   */
  public double decodedNoiseStd(int contributingShares) {
    return gamma * Math.sqrt(contributingShares * shareVariance());
  }

  /** Upper bound γ·√n/2 on the standard deviation of n sites' rounding errors, in real units. */
  public double roundingErrorStdBound(int contributingSites) {
    return gamma * Math.sqrt(contributingSites) / 2;
  }

  /**
   * Site side, with noise and rounding keyed from SecureRandom: the d' residues mod 2^b (in [0,
   * 2^b), the int's bits for b = 32) of the rotated, rounded, noised input.
   *
   * @param input the site's float vector, length d (for {@link Contributions.OnePerSite} of L2 norm
   *     at most C); it is read, not changed
   * @param rotationSeed the round's public {@value RandomizedHadamard#SEED_BYTES}-byte rotation
   *     seed
   */
  public int[] encode(float[] input, byte[] rotationSeed) {
    return encode(input, rotationSeed, AesCtrDrbg.create());
  }

  /** {@link #encode(float[], byte[])} with a given generator: reproducible tests only. */
  int[] encode(float[] input, byte[] rotationSeed, AesCtrDrbg random) {
    if (input.length != spec.dimension()) {
      throw new IllegalArgumentException(
          "input has " + input.length + " entries, the plan " + spec.dimension());
    }
    double squaredBound = Double.POSITIVE_INFINITY;
    if (spec.contributions() instanceof Contributions.OnePerSite one) {
      double norm = L2Clipping.norm(input);
      if (!(norm <= spec.clipNorm() * NORM_SLACK)) {
        throw new IllegalArgumentException(
            "input is not finite or longer than the clip norm; clip it before encoding");
      }
      if (one.beta() > 0) {
        squaredBound = l2Sensitivity * l2Sensitivity;
      }
    }
    double[] work = new double[paddedDimension];
    for (int i = 0; i < input.length; i++) {
      work[i] = input[i];
    }
    RandomizedHadamard.rotate(work, rotationSeed);
    int[] residues = new int[paddedDimension];
    RandomizedRounding.roundInto(work, 1 / gamma, residues, squaredBound, random);
    LongSupplier share = shareSampler(random);
    long mask = -1L >>> (64 - spec.bits());
    for (int i = 0; i < paddedDimension; i++) {
      residues[i] = (int) ((residues[i] + share.getAsLong()) & mask);
    }
    return residues;
  }

  private LongSupplier shareSampler(AesCtrDrbg random) {
    if (spec.noiseKind() == NoiseKind.SKELLAM) {
      return SkellamSampler.withVariance(random, shareVariance())::sample;
    }
    double sigma = shareSigma();
    if (sigma >= 0.5
        && sigma <= DiscreteGaussianTable.MAX_SIGMA
        && sigma * TABLE_SETUP_SAMPLES_PER_SIGMA <= paddedDimension) {
      return new DiscreteGaussianTable(random, sigma)::sample;
    }
    return new DiscreteGaussianSampler(random, shareVarianceNumerator, shareVarianceDenominator)
        ::sample;
  }

  /**
   * Coordinator side: the float vector of length d encoded by the unmasked sum of residues. Only
   * the low b bits of each int are read, so a sum accumulated in wrapping int arithmetic works as
   * is.
   *
   * @param rotationSeed the seed the sites encoded with
   */
  public float[] decode(int[] summedResidues, byte[] rotationSeed) {
    if (summedResidues.length != paddedDimension) {
      throw new IllegalArgumentException(
          "got " + summedResidues.length + " residues, the plan has " + paddedDimension);
    }
    double[] work = new double[paddedDimension];
    for (int i = 0; i < paddedDimension; i++) {
      work[i] = toSigned(summedResidues[i], spec.bits()) * gamma;
    }
    RandomizedHadamard.unrotate(work, rotationSeed);
    float[] decoded = new float[spec.dimension()];
    for (int i = 0; i < decoded.length; i++) {
      decoded[i] = (float) work[i];
    }
    return decoded;
  }

  /** The low b bits of a residue as a number in [-2^(b-1), 2^(b-1)). */
  static int toSigned(int residue, int bits) {
    int unused = Integer.SIZE - bits;
    return residue << unused >> unused;
  }

  @Override
  public String toString() {
    return String.format(
        "DistributedNoisePlan[d=%d, d'=%d, bits=%d, gamma=%.6g, l2=%.6g, l1=%.6g, shareVariance=%.6g,"
            + " %s]",
        spec.dimension(),
        paddedDimension,
        spec.bits(),
        gamma,
        l2Sensitivity,
        l1Sensitivity,
        shareVariance(),
        spec.noiseKind());
  }
}
