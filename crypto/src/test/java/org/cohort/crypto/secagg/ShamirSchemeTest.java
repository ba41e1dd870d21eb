package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShamirSchemeTest {

  @Test
  void seedFieldIsTheSmallestPrimeAbove2To256() {
    BigInteger twoTo256 = BigInteger.ONE.shiftLeft(256);
    assertEquals(twoTo256.nextProbablePrime(), ShamirScheme.SEED_FIELD);
    assertTrue(ShamirScheme.SEED_FIELD.isProbablePrime(128));
  }

  @Test
  void everySubsetOfThresholdSharesReconstructsTheSeed() {
    SecureRandom random = RoundHarness.deterministic(1);
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    secret[0] = (byte) 0xff; // the top of the 256-bit range must survive the field
    ShamirScheme scheme = ShamirScheme.forSeeds(4);
    ShamirShare[] shares = scheme.shareSeed(secret, new int[] {1, 2, 3, 5, 8, 13, 21}, random);
    int subsets = 0;
    for (int mask = 0; mask < 1 << shares.length; mask++) {
      if (Integer.bitCount(mask) < 4) {
        continue;
      }
      List<ShamirShare> subset = new ArrayList<>();
      for (int i = 0; i < shares.length; i++) {
        if ((mask & 1 << i) != 0) {
          subset.add(shares[i]);
        }
      }
      assertArrayEquals(secret, scheme.reconstructSeed(subset));
      subsets++;
    }
    assertEquals(64, subsets); // C(7,4)+C(7,5)+C(7,6)+C(7,7)
  }

  @Test
  void fewerThanThresholdSharesAreRefused() {
    ShamirScheme scheme = ShamirScheme.forSeeds(3);
    ShamirShare[] shares =
        scheme.shareSeed(new byte[32], new int[] {1, 2, 3}, RoundHarness.deterministic(2));
    assertThrows(
        SecAggException.RoundAbandoned.class,
        () -> scheme.reconstruct(List.of(shares[0], shares[1])));
  }

  @Test
  void repeatedOrZeroPointsAreRefused() {
    ShamirScheme scheme = ShamirScheme.forSeeds(2);
    SecureRandom random = RoundHarness.deterministic(3);
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> scheme.shareSeed(new byte[32], new int[] {1, 1}, random));
    assertThrows(SecAggException.InvalidParameters.class, () -> new ShamirShare(0, BigInteger.ONE));
  }

  /**
   * Perfect secrecy on small fields: over all polynomials (uniform coefficients), the joint
   * distribution of any t−1 shares is the same for every secret; with t shares it is not.
   */
  @Test
  void thresholdMinusOneSharesAreIndependentOfTheSecretInSmallFields() {
    for (int[] field : new int[][] {{7, 3}, {11, 2}, {13, 3}, {5, 4}}) {
      int prime = field[0];
      int threshold = field[1];
      ShamirScheme scheme = new ShamirScheme(BigInteger.valueOf(prime), threshold);
      List<List<ShamirShare[]>> sharesBySecret = new ArrayList<>();
      for (int secret = 0; secret < prime; secret++) {
        sharesBySecret.add(allSharings(scheme, prime, threshold, secret));
      }
      int[] holders = new int[prime - 1];
      for (int i = 0; i < holders.length; i++) {
        holders[i] = i + 1;
      }
      for (int[] points : subsetsOfSize(holders, threshold - 1)) {
        Map<List<BigInteger>, Integer> reference = distribution(sharesBySecret.get(0), points);
        // Each of the p^(t−1) share tuples is hit exactly once: uniform, whatever the secret.
        assertEquals((int) Math.pow(prime, threshold - 1), reference.size());
        assertTrue(reference.values().stream().allMatch(count -> count == 1));
        for (int secret = 1; secret < prime; secret++) {
          assertEquals(reference, distribution(sharesBySecret.get(secret), points));
        }
      }
      int[] enough = java.util.Arrays.copyOf(holders, threshold);
      assertNotEquals(
          distribution(sharesBySecret.get(0), enough), distribution(sharesBySecret.get(1), enough));
    }
  }

  /** The shares at points 1..p−1 of every polynomial of degree t−1 with the given constant term. */
  private static List<ShamirShare[]> allSharings(
      ShamirScheme scheme, int prime, int threshold, int secret) {
    int[] allPoints = new int[prime - 1];
    for (int i = 0; i < allPoints.length; i++) {
      allPoints[i] = i + 1;
    }
    List<ShamirShare[]> sharings = new ArrayList<>();
    int polynomials = (int) Math.pow(prime, threshold - 1);
    for (int p = 0; p < polynomials; p++) {
      BigInteger[] coefficients = new BigInteger[threshold];
      coefficients[0] = BigInteger.valueOf(secret);
      for (int c = 1, rest = p; c < threshold; c++, rest /= prime) {
        coefficients[c] = BigInteger.valueOf(rest % prime);
      }
      sharings.add(scheme.shareWithCoefficients(coefficients, allPoints));
    }
    return sharings;
  }

  private static Map<List<BigInteger>, Integer> distribution(
      List<ShamirShare[]> sharings, int[] points) {
    Map<List<BigInteger>, Integer> counts = new HashMap<>();
    for (ShamirShare[] shares : sharings) {
      List<BigInteger> observed = new ArrayList<>();
      for (int point : points) {
        observed.add(shares[point - 1].y());
      }
      counts.merge(observed, 1, Integer::sum);
    }
    return counts;
  }

  private static List<int[]> subsetsOfSize(int[] items, int size) {
    List<int[]> subsets = new ArrayList<>();
    for (int mask = 0; mask < 1 << items.length; mask++) {
      if (Integer.bitCount(mask) == size) {
        int[] subset = new int[size];
        for (int i = 0, n = 0; i < items.length; i++) {
          if ((mask & 1 << i) != 0) {
            subset[n++] = items[i];
          }
        }
        subsets.add(subset);
      }
    }
    return subsets;
  }
}
