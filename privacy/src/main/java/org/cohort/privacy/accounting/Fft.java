package org.cohort.privacy.accounting;

/** Linear convolution of real sequences by an iterative radix-2 complex FFT. */
final class Fft {

  private Fft() {}

  static double[] convolve(double[] a, double[] b) {
    int outLength = a.length + b.length - 1;
    int n = Integer.highestOneBit(Math.max(1, outLength - 1)) << 1;
    // Pack a in the real part and b in the imaginary part: one forward transform for both.
    double[] re = new double[n];
    double[] im = new double[n];
    System.arraycopy(a, 0, re, 0, a.length);
    System.arraycopy(b, 0, im, 0, b.length);
    transform(re, im, false);
    // A[k] = (Z[k] + conj Z[n-k]) / 2, B[k] = (Z[k] - conj Z[n-k]) / 2i, product A·B.
    double[] pr = new double[n];
    double[] pi = new double[n];
    for (int k = 0; k < n; k++) {
      int m = (n - k) & (n - 1);
      double ar = 0.5 * (re[k] + re[m]);
      double ai = 0.5 * (im[k] - im[m]);
      double br = 0.5 * (im[k] + im[m]);
      double bi = -0.5 * (re[k] - re[m]);
      pr[k] = ar * br - ai * bi;
      pi[k] = ar * bi + ai * br;
    }
    transform(pr, pi, true);
    double[] out = new double[outLength];
    for (int i = 0; i < outLength; i++) {
      out[i] = pr[i] / n;
    }
    return out;
  }

  private static void transform(double[] re, double[] im, boolean inverse) {
    int n = re.length;
    for (int i = 1, j = 0; i < n; i++) {
      int bit = n >> 1;
      for (; (j & bit) != 0; bit >>= 1) {
        j ^= bit;
      }
      j ^= bit;
      if (i < j) {
        double t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (int length = 2; length <= n; length <<= 1) {
      double angle = (inverse ? 2 : -2) * Math.PI / length;
      int half = length >> 1;
      for (int k = 0; k < half; k++) {
        // Twiddles computed directly (not by recurrence) to keep the rounding error at ~1 ulp.
        double wr = Math.cos(angle * k);
        double wi = Math.sin(angle * k);
        for (int start = 0; start < n; start += length) {
          int u = start + k;
          int v = u + half;
          double xr = re[v] * wr - im[v] * wi;
          double xi = re[v] * wi + im[v] * wr;
          re[v] = re[u] - xr;
          im[v] = im[u] - xi;
          re[u] += xr;
          im[u] += xi;
        }
      }
    }
  }
}
