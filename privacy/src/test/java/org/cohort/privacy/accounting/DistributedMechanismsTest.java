package org.cohort.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The distributed-DP events and the Zhu-Wang amplification. No published number for these bounds
 * could be found (neither paper's text nor the authors' code ships a test value), so the reference
 * values are an independent 50-digit mpmath evaluation of the published formulas (Kairouz-Liu-
 * Steinke Prop. 14, Agarwal-Kairouz-Liu's Skellam RDP, Zhu-Wang Thm. 5), produced by {@code python3
 * ref2.py} (mpmath 1.3.0; the script is quoted in the PR description of issue 11): e.g. {@code tau
 * = 10*sum(exp(-2*pi**2*s**2*k/(k+1)) for k in range(1, n))}, {@code zw(q, eps, a) =
 * min(log((1-q)**(a-1)*(a*q-q+1) + C(a,2) q^2 (1-q)**(a-2) e^eps(2) + 3 sum_{l>=3} C(a,l) q^l
 * (1-q)**(a-l) e^((l-1) eps(l)))/(a-1), eps(a))}.
 */
class DistributedMechanismsTest {

  @Test
  void tauMatchesTheSumOfDiscreteGaussiansConstant() {
    assertEquals(2.3453253192467697, DiscreteNoiseRdp.tau(0.5, 10), 1e-15);
    assertEquals(7.1571796476094338e-17, DiscreteNoiseRdp.tau(2, 50), 1e-30);
    assertEquals(0, DiscreteNoiseRdp.tau(3, 1));
  }

  // One share (n = 1, tau = 0) is the discrete Gaussian, whose RDP is the Gaussian's alpha
  // Delta^2/(2 sigma^2) (Canonne, Kamath, Steinke 2020, Thm. 4: (Delta^2/(2 sigma^2))-zCDP).
  @Test
  void oneShareIsTheDiscreteGaussian() {
    PrivacyEvent ddg = new PrivacyEvent.DistributedDiscreteGaussian(1, 3, 9, 2, 1, 5, 4);
    assertEquals(4 * 7 * 9 / (2.0 * 4), ddg.rdp(7), 1e-12);
  }

  @Test
  void distributedDiscreteGaussianMatchesIndependentEvaluation() {
    // ddg(l2=1000, l1=30000, sigma=100, n=100, d=1000): tau ~ 1e-42863, so exactly the Gaussian.
    PrivacyEvent big =
        new PrivacyEvent.DistributedDiscreteGaussian(1, 1000, 30000, 100, 100, 1000, 1);
    assertEquals(3.5, big.rdp(7), 1e-12);
    assertEquals(16.0, big.rdp(32), 1e-12);
    // ddg(10, 40, 2, 50, 16), q = 0.01, through Zhu-Wang Thm. 5.
    PrivacyEvent sampled = new PrivacyEvent.DistributedDiscreteGaussian(0.01, 10, 40, 2, 50, 16, 3);
    assertEquals(3 * 6.4870022964575628e-5, sampled.rdp(2), 3 * 6.487e-5 * 1e-12);
    assertEquals(3 * 0.00028892249189570072, sampled.rdp(7), 3 * 2.89e-4 * 1e-12);
    // fractional orders use the bound at the next integer order
    assertEquals(sampled.rdp(7), sampled.rdp(6.3), 0);
  }

  @Test
  void skellamMatchesIndependentEvaluation() {
    PrivacyEvent plain = new PrivacyEvent.Skellam(1, 3, 5, 4, 1);
    assertEquals(3.140625, plain.rdp(2), 1e-15);
    assertEquals(4.546875, plain.rdp(3), 1e-15);
    PrivacyEvent sampled = new PrivacyEvent.Skellam(0.01, 1000, 30000, 1e8, 10);
    assertEquals(10 * 1.0050162114177428e-6, sampled.rdp(2), 1e-5 * 1e-12);
    assertEquals(10 * 0.00019339875587316179, sampled.rdp(26), 1.9e-3 * 1e-12);
    assertEquals(0.0100000000795, new PrivacyEvent.Skellam(1, 1000, 30000, 1e8, 1).rdp(2), 1e-15);
  }

  // For the Gaussian base curve alpha/(2 sigma^2), Theorem 5 can only be looser than the exact
  // subsampled Gaussian of Mironov-Talwar-Zhang (weights 3 instead of 1 from l = 3 on). mpmath:
  // q=1e-3, sigma=1, alpha=8: exact 6.9879416490941471e-6, Thm 5 7.3161074193098318e-6 (4.7%
  // looser: the l >= 3 terms are O(q) relative); q=0.01, sigma=1.5, alpha=16: 4.9569786e-4 vs
  // 7.7793212853882331e-4 (57%: amplification bounds for generic curves are loose at larger q).
  @Test
  void zhuWangBoundsTheExactSubsampledGaussianFromAbove() {
    for (double[] p :
        new double[][] {{1e-3, 1, 8}, {1e-3, 2, 32}, {0.01, 1.5, 16}, {0.3, 0.8, 5}}) {
      double sigma = p[1];
      double bound = PoissonSubsampledRdp.perStep(p[0], l -> l / (2 * sigma * sigma), p[2]);
      double exact = SubsampledGaussianRdp.perStep(p[0], sigma, p[2]);
      assertTrue(bound >= exact, "q=" + p[0] + " sigma=" + sigma + " alpha=" + p[2]);
    }
    double bound = PoissonSubsampledRdp.perStep(1e-3, l -> l / 2.0, 8);
    assertEquals(7.3161074193098318e-6, bound, 7.3e-6 * 1e-12);
    assertEquals(6.9879416490941471e-6, SubsampledGaussianRdp.perStep(1e-3, 1, 8), 7e-6 * 1e-12);
    assertEquals(1, bound / SubsampledGaussianRdp.perStep(1e-3, 1, 8), 0.05);
    double loose = PoissonSubsampledRdp.perStep(0.01, l -> l / (2 * 1.5 * 1.5), 16);
    assertEquals(7.7793212853882331e-4, loose, 7.8e-4 * 1e-12);
    // subsampling never hurts: capped by the base curve; q = 1 is the base curve
    assertEquals(2.5, PoissonSubsampledRdp.perStep(1, l -> l / 2.0, 5), 0);
    assertTrue(PoissonSubsampledRdp.perStep(0.9, l -> l / 2.0, 5) <= 2.5);
  }

  @Test
  void tinyAmplifiedValuesKeepRelativePrecision() {
    // q = 1e-6: C(2,2) q^2 expm1(eps(2)) ~ 1e-12 * 1e-4; log1p keeps it, log(1 + x) would not
    double rdp = PoissonSubsampledRdp.perStep(1e-6, l -> l * 1e-4 / 2, 2);
    assertEquals(Math.expm1(1e-4) * 1e-12, rdp, 1e-28);
  }

  @Test
  void eventsSerialiseWithSnakeCaseNamesAndMergeRepeats() {
    PrivacyEvent ddg = new PrivacyEvent.DistributedDiscreteGaussian(0.01, 10, 40, 2, 50, 16, 3);
    PrivacyEvent skellam = new PrivacyEvent.Skellam(0.02, 10, 40, 1e4, 7);
    RdpAccountant accountant = RdpAccountant.create().compose(ddg).compose(ddg).compose(skellam);
    String json = accountant.toJson();
    for (String name :
        List.of(
            "\"type\":\"distributed_discrete_gaussian\"",
            "\"type\":\"skellam\"",
            "\"sampling_rate\"",
            "\"l2_sensitivity\"",
            "\"l1_sensitivity\"",
            "\"share_sigma\"",
            "\"shares\"",
            "\"dimension\"",
            "\"variance\"",
            "\"steps\":6")) {
      assertTrue(json.contains(name), name + " in " + json);
    }
    assertEquals(List.of(ddg.withSteps(6), skellam), accountant.events());
    RdpAccountant resumed = RdpAccountant.fromJson(json);
    assertEquals(accountant, resumed);
    String tampered = json.replace("\"variance\":10000.0", "\"variance\":-1.0");
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.fromJson(tampered));
  }

  @Test
  void invalidParametersAreTypedErrors() {
    List<Runnable> bad =
        List.of(
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0, 1, 1, 1, 1, 1, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, -1, 1, 1, 1, 1, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, 1, Double.NaN, 1, 1, 1, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, 1, 1, 0.4, 1, 1, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, 1, 1, 1, 0, 1, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, 1, 1, 1, 1, 0, 1),
            () -> new PrivacyEvent.DistributedDiscreteGaussian(0.1, 1, 1, 1, 1, 1, 0),
            () -> new PrivacyEvent.Skellam(1.5, 1, 1, 1, 1),
            () -> new PrivacyEvent.Skellam(0.1, Double.POSITIVE_INFINITY, 1, 1, 1),
            () -> new PrivacyEvent.Skellam(0.1, 1, 1, 0, 1),
            () -> new PrivacyEvent.Skellam(0.1, 1, 1, 1, -1));
    for (Runnable r : bad) {
      assertThrows(InvalidPrivacyParameterException.class, r::run);
    }
  }

  @Test
  void calibrationWorksForAnyFamilyAndStaysOnTheSafeSide() {
    NoiseCalibration calibration = NoiseCalibration.withDefaultOrders();
    NoiseCalibration.Result result =
        calibration.noiseMultiplier(
            2.0,
            1e-5,
            sigma ->
                new PrivacyEvent.DistributedDiscreteGaussian(0.01, 64, 512, sigma, 20, 64, 500));
    double achieved =
        RdpAccountant.create()
            .compose(
                new PrivacyEvent.DistributedDiscreteGaussian(
                    0.01, 64, 512, result.noiseMultiplier(), 20, 64, 500))
            .epsilon(1e-5)
            .epsilon();
    assertEquals(result.achieved().epsilon(), achieved, 0);
    assertTrue(achieved <= 2.0);
    double slightlyLess = result.noiseMultiplier() * (1 - 1e-7);
    assertTrue(
        RdpAccountant.create()
                .compose(
                    new PrivacyEvent.DistributedDiscreteGaussian(
                        0.01, 64, 512, slightlyLess, 20, 64, 500))
                .epsilon(1e-5)
                .epsilon()
            > 2.0);
  }
}
