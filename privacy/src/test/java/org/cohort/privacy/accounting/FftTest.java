package org.cohort.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FftTest {

  @Test
  void fftConvolutionEqualsDirectConvolution() {
    SplittableRandom random = new SplittableRandom(7);
    double[] a = random.doubles(1000).toArray();
    double[] b = random.doubles(333).toArray();
    double[] fast = Fft.convolve(a, b);
    assertEquals(a.length + b.length - 1, fast.length);
    for (int k = 0; k < fast.length; k++) {
      double direct = 0;
      for (int i = Math.max(0, k - b.length + 1); i <= Math.min(k, a.length - 1); i++) {
        direct += a[i] * b[k - i];
      }
      assertEquals(direct, fast[k], 1e-10 * Math.max(1, direct), "index " + k);
    }
  }
}
