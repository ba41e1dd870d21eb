package org.cohort.privacy.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SpecialFunctionsTest {

  // Reference values: Python math.erfc (correctly rounded libm) and, beyond underflow,
  // scipy.special.log_ndtr(-x*sqrt(2)) + log(2).
  @Test
  void erfcHasFullRelativePrecisionAcrossTheRange() {
    assertEquals(1.9999779095030015, SpecialFunctions.erfc(-3), 4e-16);
    assertEquals(1.5204998778130465, SpecialFunctions.erfc(-0.5), 4e-16);
    assertEquals(0.8875370839817152, SpecialFunctions.erfc(0.1), 0.8875370839817152 * 1e-15);
    assertEquals(0.15729920705028513, SpecialFunctions.erfc(1), 0.15729920705028513 * 2e-15);
    assertEquals(0.0072095707647425325, SpecialFunctions.erfc(1.9), 0.0072095707647425325 * 1e-13);
    assertEquals(0.002979466656332984, SpecialFunctions.erfc(2.1), 0.002979466656332984 * 1e-15);
    assertEquals(2.2090496998585438e-05, SpecialFunctions.erfc(3), 2.2090496998585438e-05 * 1e-15);
    assertEquals(2.088487583762545e-45, SpecialFunctions.erfc(10), 2.088487583762545e-45 * 1e-14);
    assertEquals(-10005.177585122668, SpecialFunctions.logErfc(100), 1e-11);
  }

  @Test
  void logGammaMatchesFactorialsAndHalfIntegers() {
    assertEquals(0.5 * Math.log(Math.PI), SpecialFunctions.logGamma(0.5), 2e-14);
    assertEquals(Math.log(362880), SpecialFunctions.logGamma(10), 2e-14);
    assertEquals(0, SpecialFunctions.logGamma(1), 1e-13);
    assertEquals(361.4355404677776, SpecialFunctions.logGamma(100.5), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> SpecialFunctions.logGamma(0));
  }

  @Test
  void logSpaceArithmetic() {
    assertEquals(Math.log(5), SpecialFunctions.logAdd(Math.log(2), Math.log(3)), 1e-15);
    assertEquals(Math.log(1), SpecialFunctions.logSub(Math.log(3), Math.log(2)), 1e-15);
    assertEquals(1000 + Math.log1p(Math.exp(-1)), SpecialFunctions.logAdd(1000, 999), 1e-12);
    assertEquals(Math.log(1e-20), SpecialFunctions.logExpm1(1e-20), 1e-15);
    assertEquals(Double.NEGATIVE_INFINITY, SpecialFunctions.logSub(2, 2));
    assertThrows(ArithmeticException.class, () -> SpecialFunctions.logSub(1, 2));
  }
}
