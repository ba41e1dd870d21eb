package org.cohort.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cohort.privacy.math.SpecialFunctions;
import org.junit.jupiter.api.Test;

class SamplersTest {

  private static double[] discreteGaussianBins(double sigmaSquared, int halfWidth) {
    double normaliser = 0;
    for (int k = -400; k <= 400; k++) {
      normaliser += Math.exp(-k * (double) k / (2 * sigmaSquared));
    }
    double[] p = new double[2 * halfWidth + 3];
    double inner = 0;
    for (int k = -halfWidth; k <= halfWidth; k++) {
      p[k + halfWidth + 1] = Math.exp(-k * (double) k / (2 * sigmaSquared)) / normaliser;
      inner += p[k + halfWidth + 1];
    }
    p[0] = (1 - inner) / 2;
    p[p.length - 1] = (1 - inner) / 2;
    return p;
  }

  private static void assertDiscreteGaussian(
      long num, long den, int halfWidth, int draws, long seed) {
    long[] samples = new long[draws];
    new DiscreteGaussianSampler(AesCtrDrbg.seeded(seed), num, den).sample(samples);
    assertDiscreteGaussian(
        (double) num / den, halfWidth, samples, "exact sampler sigma^2=" + num + "/" + den);
  }

  private static void assertDiscreteGaussian(
      double sigmaSquared, int halfWidth, long[] samples, String what) {
    int draws = samples.length;
    long[] bins = new long[2 * halfWidth + 3];
    double sum = 0;
    double sumSquares = 0;
    for (long x : samples) {
      sum += x;
      sumSquares += (double) x * x;
      int bin = x < -halfWidth ? 0 : x > halfWidth ? bins.length - 1 : (int) x + halfWidth + 1;
      bins[bin]++;
    }
    double[] p = discreteGaussianBins(sigmaSquared, halfWidth);
    double variance = 0;
    for (int k = -400; k <= 400; k++) {
      variance += k * (double) k * Math.exp(-k * (double) k / (2 * sigmaSquared));
    }
    double normaliser = 0;
    for (int k = -400; k <= 400; k++) {
      normaliser += Math.exp(-k * (double) k / (2 * sigmaSquared));
    }
    variance /= normaliser;
    // Mean: 6 standard errors; variance: 6 standard errors of the sample variance (~sqrt(2/n) var).
    assertEquals(0, sum / draws, 6 * Math.sqrt(variance / draws));
    assertEquals(variance, sumSquares / draws, 6 * variance * Math.sqrt(3.0 / draws));
    ChiSquare.assertFits(bins, p, what);
  }

  @Test
  void discreteGaussianMatchesItsLawForIntegerVariance() {
    assertDiscreteGaussian(9, 1, 10, 100_000, 11);
  }

  @Test
  void discreteGaussianMatchesItsLawForFractionalVariance() {
    // sigma^2 = 2/3 < 1: the variance of N_Z(0, 2/3) is below 2/3, unlike a rounded Gaussian's.
    assertDiscreteGaussian(2, 3, 2, 100_000, 12);
  }

  @Test
  void tableSamplerMatchesTheDiscreteGaussianLaw() {
    long[] samples = new long[200_000];
    new DiscreteGaussianTable(AesCtrDrbg.seeded(14), 3.0).sample(samples);
    assertDiscreteGaussian(9.0, 10, samples, "table sampler sigma=3");
    new DiscreteGaussianTable(AesCtrDrbg.seeded(15), Math.sqrt(2.0 / 3)).sample(samples);
    assertDiscreteGaussian(2.0 / 3, 2, samples, "table sampler sigma^2=2/3");
  }

  @Test
  void tableSamplerWithLargeScaleHasTheRightVarianceAndRejectsHugeSigma() {
    DiscreteGaussianTable sampler = new DiscreteGaussianTable(AesCtrDrbg.seeded(16), 1000);
    long[] samples = new long[100_000];
    sampler.sample(samples);
    double sumSquares = 0;
    for (long x : samples) {
      sumSquares += (double) x * x;
      assertTrue(Math.abs(x) <= 13_502);
    }
    assertEquals(1e6, sumSquares / samples.length, 6 * 1e6 * Math.sqrt(2.0 / samples.length));
    assertThrows(
        IllegalArgumentException.class, () -> new DiscreteGaussianTable(AesCtrDrbg.seeded(1), 1e5));
    assertThrows(
        IllegalArgumentException.class, () -> new DiscreteGaussianTable(AesCtrDrbg.seeded(1), 0.1));
  }

  @Test
  void discreteGaussianWithLargeScaleHasTheRightVariance() {
    DiscreteGaussianSampler sampler =
        DiscreteGaussianSampler.withSigmaSquared(AesCtrDrbg.seeded(13), 1L << 32);
    int draws = 20_000;
    double sumSquares = 0;
    for (int i = 0; i < draws; i++) {
      double x = sampler.sample();
      sumSquares += x * x;
    }
    double variance =
        Math.pow(2, 32); // for large sigma the discrete variance equals sigma^2 to ~1e-300
    assertEquals(variance, sumSquares / draws, 6 * variance * Math.sqrt(2.0 / draws));
  }

  @Test
  void continuousGaussianMatchesItsLaw() {
    double sigma = 2.5;
    int draws = 1_000_000;
    double[] samples = new double[draws];
    new GaussianNoise(AesCtrDrbg.seeded(21)).sample(samples, sigma);
    double[] edges = {-3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3};
    long[] bins = new long[edges.length + 1];
    double sum = 0;
    double sumSquares = 0;
    double grid = GaussianNoise.gridSpacing(sigma);
    for (double x : samples) {
      sum += x;
      sumSquares += x * x;
      assertEquals(0, Math.IEEEremainder(x, grid), 0, "off the grid: " + x);
      int bin = 0;
      while (bin < edges.length && x / sigma >= edges[bin]) {
        bin++;
      }
      bins[bin]++;
    }
    double[] p = new double[bins.length];
    for (int b = 0; b < p.length; b++) {
      double lo = b == 0 ? 0 : SpecialFunctions.normalCdf(edges[b - 1]);
      double hi = b == edges.length ? 1 : SpecialFunctions.normalCdf(edges[b]);
      p[b] = hi - lo;
    }
    assertEquals(0, sum / draws, 6 * sigma / Math.sqrt(draws));
    assertEquals(sigma * sigma, sumSquares / draws, 6 * sigma * sigma * Math.sqrt(2.0 / draws));
    ChiSquare.assertFits(bins, p, "continuous Gaussian");
  }

  @Test
  void noisyVectorStaysOnTheDataIndependentGrid() {
    double sigma = 0.75;
    double grid = GaussianNoise.gridSpacing(sigma);
    float[] values = {0.1f, (float) Math.PI, -1e-7f, 12345.678f, 0f};
    float[] original = values.clone();
    new GaussianNoise(AesCtrDrbg.seeded(22)).addTo(values, sigma);
    for (int i = 0; i < values.length; i++) {
      assertEquals(0, Math.IEEEremainder(values[i], grid), 0, "entry " + i + " off the grid");
      assertNotEquals(original[i], values[i]);
      assertTrue(Math.abs(values[i] - original[i]) < 13 * sigma);
    }
    assertEquals(grid * Math.sqrt(100), GaussianNoise.sensitivityInflation(sigma, 100));
    assertTrue(grid <= sigma / (1 << 24) && grid > sigma / (1 << 25));
  }

  private static void assertPoisson(double mu, int lo, int hi, int draws, long seed) {
    SkellamSampler sampler = SkellamSampler.withVariance(AesCtrDrbg.seeded(seed), 2 * mu);
    long[] bins = new long[hi - lo + 3];
    for (int i = 0; i < draws; i++) {
      long k = sampler.poisson();
      bins[k < lo ? 0 : k > hi ? bins.length - 1 : (int) (k - lo) + 1]++;
    }
    double[] p = new double[bins.length];
    double inner = 0;
    for (int k = lo; k <= hi; k++) {
      p[k - lo + 1] = Math.exp(-mu + k * Math.log(mu) - SpecialFunctions.logGamma(k + 1.0));
      inner += p[k - lo + 1];
    }
    double below = 0;
    for (int k = 0; k < lo; k++) {
      below += Math.exp(-mu + k * Math.log(mu) - SpecialFunctions.logGamma(k + 1.0));
    }
    p[0] = below;
    p[p.length - 1] = 1 - inner - below;
    if (lo == 0) {
      // No "below" bin is possible: fold it away by merging into the first real bin.
      long[] merged = new long[bins.length - 1];
      double[] mergedP = new double[p.length - 1];
      System.arraycopy(bins, 1, merged, 0, merged.length);
      System.arraycopy(p, 1, mergedP, 0, mergedP.length);
      merged[0] += bins[0];
      mergedP[0] += p[0];
      ChiSquare.assertFits(merged, mergedP, "Poisson mu=" + mu);
    } else {
      ChiSquare.assertFits(bins, p, "Poisson mu=" + mu);
    }
  }

  @Test
  void poissonByInversionMatchesItsLaw() {
    assertPoisson(4, 0, 11, 200_000, 31); // bins 0..11 and > 11: df 12
  }

  @Test
  void poissonByTransformedRejectionMatchesItsLaw() {
    assertPoisson(30, 15, 44, 200_000, 32); // < 15, 15..44, > 44: df 31
  }

  @Test
  void skellamHasZeroMeanAndTheRequestedVariance() {
    for (double mu : new double[] {3, 50}) {
      SkellamSampler sampler =
          SkellamSampler.withVariance(AesCtrDrbg.seeded(40 + (long) mu), 2 * mu);
      long[] samples = new long[200_000];
      sampler.sample(samples);
      double sum = 0;
      double sumSquares = 0;
      for (long x : samples) {
        sum += x;
        sumSquares += (double) x * x;
      }
      double n = samples.length;
      assertEquals(0, sum / n, 6 * Math.sqrt(2 * mu / n), "mu " + mu);
      // Var of X^2 for Sk(mu, mu) is 2 (2mu)^2 + 2mu (its excess kurtosis is 1/(2mu)).
      assertEquals(2 * mu, sumSquares / n, 6 * Math.sqrt((8 * mu * mu + 2 * mu) / n), "mu " + mu);
    }
  }

  @Test
  void skellamRefusesVariancesItCannotSampleAccurately() {
    AesCtrDrbg random = AesCtrDrbg.seeded(45);
    assertThrows(IllegalArgumentException.class, () -> SkellamSampler.withVariance(random, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> SkellamSampler.withVariance(random, 2 * SkellamSampler.MAX_VARIANCE));
    SkellamSampler.withVariance(random, SkellamSampler.MAX_VARIANCE).sample();
  }

  @Test
  void clippingBoundsTheNormAndReportsThePreClipNorm() {
    float[] v = {3, 4, 0, 0};
    assertEquals(5.0, L2Clipping.clipInPlace(v, 1.0), 1e-12);
    assertTrue(L2Clipping.norm(v) <= 1.0);
    assertEquals(0.6, v[0], 1e-6);
    assertEquals(0.8, v[1], 1e-6);
    float[] small = {0.3f, 0.4f};
    assertEquals(0.5, L2Clipping.clipInPlace(small, 1.0), 1e-7);
    assertEquals(0.3f, small[0]);
    assertThrows(
        IllegalArgumentException.class, () -> L2Clipping.clipInPlace(new float[] {Float.NaN}, 1.0));
    assertThrows(IllegalArgumentException.class, () -> L2Clipping.clipInPlace(new float[] {1}, 0));
  }

  @Test
  void boundedIntegersAreUnbiasedAndInRange() {
    AesCtrDrbg random = AesCtrDrbg.seeded(50);
    long[] bins = new long[11];
    for (int i = 0; i < 110_000; i++) {
      long x = random.nextLongBelow(11);
      bins[(int) x]++;
    }
    double[] p = new double[11];
    java.util.Arrays.fill(p, 1.0 / 11);
    ChiSquare.assertFits(bins, p, "uniform below 11");
    assertThrows(IllegalArgumentException.class, () -> random.nextLongBelow(0));
    assertNotEquals(AesCtrDrbg.create().nextLong(), AesCtrDrbg.create().nextLong());
  }
}
