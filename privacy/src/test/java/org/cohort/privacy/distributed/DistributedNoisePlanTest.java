package org.cohort.privacy.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.cohort.privacy.math.SpecialFunctions;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.noise.ChiSquare;
import org.junit.jupiter.api.Test;

class DistributedNoisePlanTest {

  private static final double BETA = Contributions.OnePerSite.RECOMMENDED_BETA;

  private static byte[] rotationSeed(int round) {
    byte[] seed = new byte[RandomizedHadamard.SEED_BYTES];
    Arrays.fill(seed, (byte) (31 * round + 1));
    return seed;
  }

  private static DistributedNoisePlan onePerSite(
      int d, double c, double z, int nMin, int nMax, int bits, double k, NoiseKind kind) {
    return DistributedNoisePlan.create(
        new DistributedNoiseSpec(
            d, c, z, nMin, nMax, bits, k, new Contributions.OnePerSite(BETA), kind));
  }

  /** A random vector of L2 norm {@code norm}. */
  private static float[] randomVector(int d, double norm, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[d];
    double sum = 0;
    for (int i = 0; i < d; i++) {
      x[i] = random.nextGaussian();
      sum += x[i] * x[i];
    }
    float[] out = new float[d];
    for (int i = 0; i < d; i++) {
      out[i] = (float) (x[i] * norm * (1 - 1e-6) / Math.sqrt(sum));
    }
    return out;
  }

  private static int[] sum(int[]... residues) {
    int[] total = new int[residues[0].length];
    for (int[] r : residues) {
      for (int i = 0; i < total.length; i++) {
        total[i] += r[i]; // wrapping int addition keeps the low b bits right
      }
    }
    return total;
  }

  /**
   * γ, Δ₂, Δ₁ and the share variance against an independent 50-digit computation of TFF's
   * _heuristic_scale_factor (with the dropout-aware noise term n_max (zC)²/n_min) and of
   * inflated_l2_norm_bound (Kairouz, Liu, Steinke 2021, Theorem 1 / Section 4.1). Produced by
   * python3 with mpmath 1.3.0 (mp.dps = 50):
   *
   * <pre>
   * dp = 1 << (d-1).bit_length(); A = nmax*C (or the aggregate bound)
   * room = (2**(b-1)/k)**2 - nmax/4; g = max(sqrt((A*A/dp + nmax*(z*C)**2/nmin)/room), C/2**24)
   * s = C/g; l2 = s + sqrt(dp); if beta > 0: l2 = min(l2, sqrt(s*s + dp/4 + sqrt(2*log(1/beta))*(s + sqrt(dp)/2)))
   * l1 = min(l2*l2, sqrt(dp)*l2); var = (z*s)**2/nmin
   * </pre>
   */
  @Test
  void parametersMatchAnIndependentComputationOfThePapersBounds() {
    DistributedNoisePlan plan =
        onePerSite(3000, 1.5, 1.1, 3, 5, 16, 4, NoiseKind.DISCRETE_GAUSSIAN);
    assertEquals(4096, plan.paddedDimension());
    assertEquals(0.00026042015376733724553, plan.gamma(), 1e-14 * plan.gamma());
    assertEquals(5760.5145094540501579, plan.l2Sensitivity(), 1e-9);
    assertEquals(368672.92860505921010, plan.l1Sensitivity(), 1e-7);
    // Rounded up to an integer above 2^16.
    assertEquals(13381274, plan.shareVariance(), 0);

    DistributedNoisePlan summed =
        DistributedNoisePlan.create(
            new DistributedNoiseSpec(
                100_000,
                0.5,
                0.8,
                20,
                30,
                20,
                4,
                new Contributions.SummedAtSite(64 * 0.5),
                NoiseKind.DISCRETE_GAUSSIAN));
    assertEquals(131072, summed.paddedDimension());
    assertEquals(0.0000037979712974712965798, summed.gamma(), 1e-14 * summed.gamma());
    assertEquals(132011.26949498659629, summed.l2Sensitivity(), 1e-8);
    assertEquals(47793184.692710319750, summed.l1Sensitivity(), 1e-5);
    assertEquals(Math.ceil(554608639.24136191871), summed.shareVariance(), 0);
  }

  @Test
  void guaranteedSharesCarryTheWholeNoise() {
    DistributedNoisePlan plan =
        onePerSite(3000, 1.5, 1.1, 3, 5, 16, 4, NoiseKind.DISCRETE_GAUSSIAN);
    // n_min shares give z·C; the variance was rounded up by less than one integer unit.
    assertEquals(1.1 * 1.5, plan.decodedNoiseStd(3), 1e-7);
    assertEquals(1.1 * 1.5 * Math.sqrt(5.0 / 3), plan.decodedNoiseStd(5), 1e-7);
  }

  /**
   * Zero inputs round to zero exactly, so the signed sum of n sites' residues is exactly the sum of
   * their n noise shares; it must follow the n-fold convolution of N_Z(0, σ²), computed here from
   * the pmf exp(-x²/(2σ²)) by direct summation.
   */
  @Test
  void aggregateOfSharesFollowsTheConvolutionOfDiscreteGaussians() {
    int sites = 4;
    DistributedNoisePlan plan =
        onePerSite(1000, 1, 1, sites, sites, 8, 4, NoiseKind.DISCRETE_GAUSSIAN);
    double sigmaSquared = plan.shareVariance();
    assertTrue(sigmaSquared > 100 && sigmaSquared < 1000, "plan changed: " + plan);
    double[] pmf = discreteGaussianPmf(sigmaSquared, (int) Math.ceil(15 * Math.sqrt(sigmaSquared)));
    double[] aggregate = pmf;
    for (int s = 1; s < sites; s++) {
      aggregate = convolve(aggregate, pmf);
    }
    long[] samples = aggregateNoise(plan, sites, 40);
    assertFitsCentred(aggregate, samples, sites * sigmaSquared, "4 discrete Gaussian shares");
  }

  /**
   * The same for Skellam shares, whose sum is Skellam: Poisson(2μ') - Poisson(2μ') for 4 shares.
   */
  @Test
  void aggregateOfSkellamSharesIsSkellamWithTheSummedVariance() {
    int sites = 4;
    DistributedNoisePlan plan = onePerSite(1000, 1, 1, sites, sites, 8, 4, NoiseKind.SKELLAM);
    double totalVariance = sites * plan.shareVariance();
    double[] poisson =
        poissonPmf(totalVariance / 2, (int) (totalVariance + 40 * Math.sqrt(totalVariance)));
    double[] mirrored = new double[poisson.length];
    for (int i = 0; i < poisson.length; i++) {
      mirrored[poisson.length - 1 - i] = poisson[i];
    }
    double[] skellam = convolve(poisson, mirrored);
    long[] samples = aggregateNoise(plan, sites, 40);
    assertFitsCentred(skellam, samples, totalVariance, "4 Skellam shares");
  }

  private static long[] aggregateNoise(DistributedNoisePlan plan, int sites, int rounds) {
    float[] zero = new float[plan.dimension()];
    long[] samples = new long[rounds * plan.paddedDimension()];
    for (int round = 0; round < rounds; round++) {
      int[][] residues = new int[sites][];
      for (int s = 0; s < sites; s++) {
        residues[s] = plan.encode(zero, rotationSeed(round), AesCtrDrbg.seeded(1000 * round + s));
      }
      int[] total = sum(residues);
      for (int i = 0; i < total.length; i++) {
        samples[round * total.length + i] = DistributedNoisePlan.toSigned(total[i], plan.bits());
      }
    }
    return samples;
  }

  /**
   * Chi-square over 13 bins (11 of width std/2 around 0 and two tails) against a pmf indexed from
   * -(length-1)/2, and the sample variance within 6 standard errors.
   */
  private static void assertFitsCentred(
      double[] pmf, long[] samples, double variance, String what) {
    int centre = (pmf.length - 1) / 2;
    double std = Math.sqrt(variance);
    double[] edges = new double[12];
    for (int e = 0; e < edges.length; e++) {
      edges[e] = (e - 5.5) * std / 2;
    }
    double[] p = new double[13];
    for (int x = -centre; x <= centre; x++) {
      p[bin(x, edges)] += pmf[x + centre];
    }
    long[] observed = new long[13];
    double sumSquares = 0;
    for (long x : samples) {
      observed[bin(x, edges)]++;
      sumSquares += (double) x * x;
    }
    ChiSquare.assertFits(observed, p, what);
    double n = samples.length;
    // Var(X²) = 2σ⁴ + excess kurtosis terms, small here; 6·σ²·sqrt(3/n) covers both laws.
    assertEquals(variance, sumSquares / n, 6 * variance * Math.sqrt(3 / n), what + " variance");
  }

  private static int bin(double x, double[] edges) {
    int b = 0;
    while (b < edges.length && x >= edges[b]) {
      b++;
    }
    return b;
  }

  private static double[] discreteGaussianPmf(double sigmaSquared, int halfWidth) {
    double[] p = new double[2 * halfWidth + 1];
    double total = 0;
    for (int x = -halfWidth; x <= halfWidth; x++) {
      p[x + halfWidth] = Math.exp(-x * (double) x / (2 * sigmaSquared));
      total += p[x + halfWidth];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  private static double[] poissonPmf(double mu, int max) {
    double[] p = new double[max + 1];
    for (int k = 0; k <= max; k++) {
      p[k] = Math.exp(-mu + k * Math.log(mu) - SpecialFunctions.logGamma(k + 1.0));
    }
    return p;
  }

  private static double[] convolve(double[] a, double[] b) {
    double[] c = new double[a.length + b.length - 1];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        c[i + j] += a[i] * b[j];
      }
    }
    return c;
  }

  /**
   * Five sites encode, only three reach the sum: the decoded vector is the three inputs' sum plus
   * the noise of three shares (not five), with the variance the plan states.
   */
  @Test
  void sharesOfSurvivingSitesSumToTheirInputsUnderDropouts() {
    int d = 3000;
    double c = 1.5;
    DistributedNoisePlan plan = onePerSite(d, c, 1.1, 3, 5, 16, 4, NoiseKind.DISCRETE_GAUSSIAN);
    float[][] inputs = new float[5][];
    int[][] residues = new int[5][];
    for (int s = 0; s < 5; s++) {
      inputs[s] = randomVector(d, c, 50 + s);
      residues[s] = plan.encode(inputs[s], rotationSeed(7), AesCtrDrbg.seeded(60 + s));
      for (int r : residues[s]) {
        assertTrue(r >= 0 && r < 1 << 16, "residue outside [0, 2^16)");
      }
    }
    int[] survivors = {0, 2, 4};
    float[] decoded = plan.decode(sum(residues[0], residues[2], residues[4]), rotationSeed(7));
    assertEquals(d, decoded.length);
    double noiseStd = plan.decodedNoiseStd(survivors.length);
    double errorStdBound = Math.hypot(noiseStd, plan.roundingErrorStdBound(survivors.length));
    double sumSquares = 0;
    for (int i = 0; i < d; i++) {
      double truth = 0;
      for (int s : survivors) {
        truth += inputs[s][i];
      }
      double error = decoded[i] - truth;
      // 3000 coordinates: beyond 6 std has probability 3000 · 2e-9.
      assertTrue(Math.abs(error) < 6 * errorStdBound, "coordinate " + i + " off by " + error);
      sumSquares += error * error;
    }
    double variance = sumSquares / d;
    double tolerance = 6 * Math.sqrt(2.0 / d) * errorStdBound * errorStdBound;
    assertEquals(noiseStd * noiseStd, variance, tolerance, "noise of 3 shares");
    double fiveShares = plan.decodedNoiseStd(5);
    assertTrue(
        variance < fiveShares * fiveShares - tolerance, "looks like five shares: " + variance);
  }

  /**
   * Every site sends the same vector at the clip norm (aligned: the worst case the grid is sized
   * for), and all n_max = 20 sites reach the sum: no coordinate may wrap. Wraps are looked for in
   * the rotated integer domain, against rotate(20·x)/γ (the grid is sized for k = 6, so a wrap
   * anywhere in the 102,400 coordinates has probability about 2e-4). As a control, the same sites
   * under a grid sized for k = 3 wrap about 0.27% of their coordinates, and the check sees them.
   */
  @Test
  void noWrapForAllSitesAtTheClipBound() {
    int sites = 20;
    DistributedNoisePlan sized =
        onePerSite(1024, 2, 1, 10, sites, 10, 6, NoiseKind.DISCRETE_GAUSSIAN);
    assertEquals(0, wrappedCoordinates(sized, sites, 100), sized.toString());
    DistributedNoisePlan undersized =
        onePerSite(1024, 2, 1, 10, sites, 10, 3, NoiseKind.DISCRETE_GAUSSIAN);
    assertTrue(wrappedCoordinates(undersized, sites, 100) > 0, undersized.toString());
  }

  private static int wrappedCoordinates(DistributedNoisePlan plan, int sites, int rounds) {
    int d = plan.dimension();
    double c = plan.spec().clipNorm();
    int wrapped = 0;
    for (int round = 0; round < rounds; round++) {
      float[] input = randomVector(d, c, 300 + round);
      int[][] residues = new int[sites][];
      for (int s = 0; s < sites; s++) {
        residues[s] =
            plan.encode(input, rotationSeed(round), AesCtrDrbg.seeded(10_000 * round + s));
      }
      int[] total = sum(residues);
      double[] expected = new double[plan.paddedDimension()];
      for (int i = 0; i < d; i++) {
        expected[i] = sites * (double) input[i];
      }
      RandomizedHadamard.rotate(expected, rotationSeed(round));
      for (int i = 0; i < total.length; i++) {
        // The true integer sum is the representative of the residue nearest the noiseless value
        // (noise and rounding stay far below 2^(b-1) = 512 units here); a wrap is when the
        // decoder's signed reading is a different representative.
        long nearest = Math.round(expected[i] / plan.gamma());
        long trueSum =
            nearest + DistributedNoisePlan.toSigned(total[i] - (int) nearest, plan.bits());
        if (trueSum != DistributedNoisePlan.toSigned(total[i], plan.bits())) {
          wrapped++;
        }
      }
    }
    return wrapped;
  }

  @Test
  void thirtyTwoBitResiduesUseTheWholeInt() {
    DistributedNoisePlan plan = onePerSite(10, 1, 1, 2, 2, 32, 4, NoiseKind.DISCRETE_GAUSSIAN);
    float[] x = randomVector(10, 1, 9);
    int[] total =
        sum(
            plan.encode(x, rotationSeed(1), AesCtrDrbg.seeded(1)),
            plan.encode(x, rotationSeed(1), AesCtrDrbg.seeded(2)));
    float[] decoded = plan.decode(total, rotationSeed(1));
    double bound = 6 * Math.hypot(plan.decodedNoiseStd(2), plan.roundingErrorStdBound(2));
    for (int i = 0; i < 10; i++) {
      assertEquals(2 * x[i], decoded[i], bound);
    }
    assertEquals(-1, DistributedNoisePlan.toSigned(0xFFFF, 16));
    assertEquals(0x7FFF, DistributedNoisePlan.toSigned(0x17FFF, 16));
    assertEquals(Integer.MIN_VALUE, DistributedNoisePlan.toSigned(Integer.MIN_VALUE, 32));
  }

  @Test
  void tooFewBitsForTheSitesAreRefused() {
    UnworkableNoisePlanException e =
        assertThrows(
            UnworkableNoisePlanException.class,
            () -> onePerSite(100, 1, 1, 100, 5000, 8, 4, NoiseKind.DISCRETE_GAUSSIAN));
    assertTrue(e.getMessage().contains("8 bits cannot hold"), e.getMessage());
  }

  @Test
  void gridThatInflatesTheSensitivityIsRefused() {
    // 2^20 coordinates, 10 bits: C/γ is about 100 integer units against √d' = 1024.
    UnworkableNoisePlanException e =
        assertThrows(
            UnworkableNoisePlanException.class,
            () ->
                DistributedNoisePlan.create(
                    new DistributedNoiseSpec(
                        1 << 20,
                        1,
                        1,
                        10,
                        10,
                        10,
                        4,
                        new Contributions.SummedAtSite(10),
                        NoiseKind.DISCRETE_GAUSSIAN)));
    assertTrue(e.getMessage().contains("inflates the L2 sensitivity"), e.getMessage());
    // Skellam's sampler limit coarsens the grid: with one guaranteed share and 2^20 coordinates
    // C/γ stays near sqrt(2^17) = 362, far below √d'.
    assertThrows(
        UnworkableNoisePlanException.class,
        () -> onePerSite(1 << 20, 1, 1, 1, 1, 32, 4, NoiseKind.SKELLAM));
    // The same with discrete Gaussian noise is fine.
    DistributedNoisePlan plan = onePerSite(1 << 20, 1, 1, 1, 1, 32, 4, NoiseKind.DISCRETE_GAUSSIAN);
    assertTrue(plan.l2Sensitivity() < 1.01 / plan.gamma(), plan.toString());
  }

  @Test
  void invalidInputsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Contributions.OnePerSite(1));
    assertThrows(IllegalArgumentException.class, () -> new Contributions.SummedAtSite(0));
    assertThrows(
        IllegalArgumentException.class,
        () -> onePerSite(10, 1, 1, 3, 2, 16, 4, NoiseKind.DISCRETE_GAUSSIAN));
    assertThrows(
        IllegalArgumentException.class,
        () -> onePerSite(10, 1, 1, 1, 2, 33, 4, NoiseKind.DISCRETE_GAUSSIAN));
    assertThrows(
        IllegalArgumentException.class,
        () -> onePerSite(10, 1, 0, 1, 2, 16, 4, NoiseKind.DISCRETE_GAUSSIAN));
    DistributedNoisePlan plan = onePerSite(10, 1, 1, 1, 2, 16, 4, NoiseKind.DISCRETE_GAUSSIAN);
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class,
            () -> plan.encode(randomVector(10, 1.01, 1), rotationSeed(1)));
    assertTrue(tooLong.getMessage().contains("clip"));
    assertThrows(IllegalArgumentException.class, () -> plan.encode(new float[9], rotationSeed(1)));
    assertThrows(IllegalArgumentException.class, () -> plan.decode(new int[10], rotationSeed(1)));
  }
}
