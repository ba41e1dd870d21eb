package org.cohort.privacy.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RandomizedHadamardTest {

  private static byte[] seed(int value) {
    byte[] seed = new byte[RandomizedHadamard.SEED_BYTES];
    Arrays.fill(seed, (byte) value);
    return seed;
  }

  private static double[] randomPadded(int dimension, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[RandomizedHadamard.paddedDimension(dimension)];
    for (int i = 0; i < dimension; i++) {
      x[i] = random.nextGaussian() * 3;
    }
    return x;
  }

  private static double norm(double[] x) {
    double sum = 0;
    for (double v : x) {
      sum += v * v;
    }
    return Math.sqrt(sum);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 63, 100, 1000, 4096, 70_001})
  void rotationThenInverseReturnsTheInputAndKeepsTheNorm(int dimension) {
    double[] original = randomPadded(dimension, dimension);
    double[] x = original.clone();
    RandomizedHadamard.rotate(x, seed(7));
    assertEquals(norm(original), norm(x), 1e-12 * norm(original));
    if (x.length > 1) {
      assertFalse(Arrays.equals(original, x), "the rotation must move the vector");
    }
    RandomizedHadamard.unrotate(x, seed(7));
    double log2 = Math.max(1, Integer.numberOfTrailingZeros(x.length));
    for (int i = 0; i < x.length; i++) {
      assertEquals(original[i], x[i], 8 * log2 * Math.ulp(norm(original)), "entry " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {5, 1000, 70_001})
  void floatRotationThenInverseReturnsTheInput(int dimension) {
    double[] reference = randomPadded(dimension, 100 + dimension);
    float[] original = new float[reference.length];
    for (int i = 0; i < original.length; i++) {
      original[i] = (float) reference[i];
    }
    float[] x = original.clone();
    RandomizedHadamard.rotate(x, seed(9));
    RandomizedHadamard.unrotate(x, seed(9));
    double tolerance =
        4 * Integer.numberOfTrailingZeros(x.length) * Math.ulp((float) norm(reference));
    for (int i = 0; i < x.length; i++) {
      assertEquals(original[i], x[i], tolerance, "entry " + i);
    }
  }

  /**
   * Against the Sylvester Hadamard matrix written out entry by entry, H[i][j] = (-1)^popcount(i &
   * j): the image of the unit vector e_j is ±(column j of H)/√d', with one sign per column.
   */
  @Test
  void rotationIsTheNormalisedHadamardMatrixTimesASignDiagonal() {
    int n = 32;
    int negated = 0;
    for (int j = 0; j < n; j++) {
      double[] unit = new double[n];
      unit[j] = 1;
      RandomizedHadamard.rotate(unit, seed(3));
      double sign = Math.signum(unit[0]);
      negated += sign < 0 ? 1 : 0;
      for (int i = 0; i < n; i++) {
        double hadamard = Integer.bitCount(i & j) % 2 == 0 ? 1 : -1;
        assertEquals(sign * hadamard / Math.sqrt(n), unit[i], 1e-15, "H[" + i + "][" + j + "]");
      }
    }
    // 32 fair signs: all equal has probability 2^-31.
    assertFalse(negated == 0 || negated == n, "the sign diagonal is not random");
  }

  @Test
  void differentSeedsGiveDifferentRotations() {
    double[] a = randomPadded(256, 1);
    double[] b = a.clone();
    RandomizedHadamard.rotate(a, seed(1));
    RandomizedHadamard.rotate(b, seed(2));
    assertFalse(Arrays.equals(a, b));
  }

  @Test
  void paddingAndArgumentChecks() {
    assertEquals(1, RandomizedHadamard.paddedDimension(1));
    assertEquals(4, RandomizedHadamard.paddedDimension(3));
    assertEquals(1 << 20, RandomizedHadamard.paddedDimension(1_000_000));
    assertEquals(1 << 20, RandomizedHadamard.paddedDimension(1 << 20));
    assertThrows(IllegalArgumentException.class, () -> RandomizedHadamard.paddedDimension(0));
    assertThrows(
        IllegalArgumentException.class, () -> RandomizedHadamard.rotate(new double[3], seed(1)));
    assertThrows(
        IllegalArgumentException.class,
        () -> RandomizedHadamard.rotate(new double[4], new byte[16]));
    double[] x = {1, 2, 3, 4};
    RandomizedHadamard.unrotate(x, seed(4));
    RandomizedHadamard.rotate(x, seed(4));
    assertArrayEquals(new double[] {1, 2, 3, 4}, x, 1e-14);
  }
}
