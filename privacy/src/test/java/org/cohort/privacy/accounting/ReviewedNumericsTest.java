package org.cohort.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The review's failing cases, against an independent 50-digit mpmath computation ({@code python3
 * reference_values.py} beside this test, mpmath 1.3.0): A_alpha - 1 integrated directly by mp.quad
 * over mu0 for fractional orders, the exact binomial sum for integer ones, and a bisection over
 * this default grid with the closed form alpha/(2 sigma^2) for the q = 1 calibrations, e.g. {@code
 * quad(lambda z: exp(-z*z/(2*s*s))/ sqrt(2*pi*s*s) * ((1-q + q*exp((2*z-1)/(2*s*s)))**a - 1),
 * [-inf, -40*s, ..., inf])}.
 */
class ReviewedNumericsTest {

  // (a) q = 1e-7, sigma = 5: A - 1 ~ 3e-16 at alpha = 1.5, below what the fractional series
  // resolves. mpmath: rdp(1.5) = 3.0608080580984555e-16, rdp(2) = 4.0810774192388215e-16,
  // rdp(10.5) = 2.1425657204352459e-15. The chord bound must be above and finite, and the
  // integer orders exact.
  @Test
  void fractionalOrdersWithAOneAreBoundedNotLost() {
    assertEquals(
        4.0810774192388215e-16, SubsampledGaussianRdp.perStep(1e-7, 5, 2), 4.1e-16 * 1e-12);
    double at15 = SubsampledGaussianRdp.perStep(1e-7, 5, 1.5);
    assertTrue(at15 >= 3.0608080580984555e-16 && at15 <= 4.0810774192388215e-16 * (1 + 1e-12));
    double at105 = SubsampledGaussianRdp.perStep(1e-7, 5, 10.5);
    assertTrue(at105 >= 2.1425657204352459e-15 && at105 <= 2.1425657204352459e-15 * 1.003);
    // sigma = 5000, q = 1e-5: rdp(1.5) = 3.0000000599994013e-18, rdp(2.5) = 5.0000001000010021e-18
    double tiny = SubsampledGaussianRdp.perStep(1e-5, 5000, 2.5);
    assertTrue(tiny >= 5.0000001000010021e-18 && tiny <= 5.0000001000010021e-18 * 1.1, "" + tiny);
    assertTrue(SubsampledGaussianRdp.perStep(1e-5, 5000, 1.5) >= 3.0000000599994013e-18);
  }

  @Test
  void reviewedEpsilonCasesComputeWithoutFailing() {
    PrivacySpent longRun =
        RdpAccountant.create()
            .compose(new PrivacyEvent.SubsampledGaussian(1e-7, 5, 1_000_000))
            .epsilon(1e-5);
    assertTrue(longRun.epsilon() > 0 && longRun.epsilon() < 0.01, "" + longRun);
    PrivacySpent oneStep =
        RdpAccountant.create()
            .compose(new PrivacyEvent.SubsampledGaussian(1e-5, 5000, 1))
            .epsilon(1e-5);
    assertEquals(0, oneStep.epsilon()); // RDP ~ 1e-18 < -log(1 - delta^2): the KL bound gives 0
  }

  // (b) mpmath bisection on the default grid (q = 1, closed form, CKS conversion):
  // eps 0.003, delta 1e-5 -> sigma 799.983760351279; eps 0.01, delta 1e-10 -> 530.502463655455.
  // Before the grid went past 1024 these returned ~74,000 and "unattainable".
  @Test
  void smallEpsilonTargetsAreNotOverNoised() {
    NoiseCalibration calibration = NoiseCalibration.withDefaultOrders();
    double sigma = calibration.noiseMultiplier(0.003, 1e-5, 1.0, 1).noiseMultiplier();
    assertTrue(sigma >= 799.983760351279 && sigma <= 799.983760351279 * (1 + 1e-8), "" + sigma);
    double strict = calibration.noiseMultiplier(0.01, 1e-10, 1.0, 1).noiseMultiplier();
    assertTrue(strict >= 530.502463655455 && strict <= 530.502463655455 * (1 + 1e-8), "" + strict);
  }

  // (c) 1e6 Gaussian releases of sigma 1000 compose to one of sigma 1; the exact curve (mpmath
  // bisection on Balle-Wang's delta(eps)) gives eps 6.54792406686495 at delta 1e-10. The old
  // 8-sigma
  // cut sent 1.6e-10 to infinity and returned infinity; now finite and above the exact value (the
  // coarse 1e-3 grid costs ~9% over a million compositions; 1e-4 gives 6.55418 in 100 s).
  @Test
  void pldLongHorizonStaysFinite() {
    double eps =
        PldAccountant.epsilon(
                PrivacyEvent.SubsampledGaussian.gaussian(1000, 1_000_000), 1e-10, 1e-3)
            .epsilon();
    assertTrue(eps >= 6.54792406686495 && eps < 6.54792406686495 * 1.1, "eps " + eps);
  }
}
