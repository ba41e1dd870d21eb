package org.cohort.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AccountantPropertiesTest {

  private static double epsilon(double q, double sigma, long steps, double delta) {
    return RdpAccountant.create()
        .compose(new PrivacyEvent.SubsampledGaussian(q, sigma, steps))
        .epsilon(delta)
        .epsilon();
  }

  @Test
  void epsilonGrowsWithStepsAndSamplingRateAndFallsWithNoiseAndDelta() {
    assertTrue(epsilon(0.01, 1.1, 1000, 1e-5) < epsilon(0.01, 1.1, 2000, 1e-5));
    assertTrue(epsilon(0.01, 1.1, 1000, 1e-5) < epsilon(0.02, 1.1, 1000, 1e-5));
    assertTrue(epsilon(0.01, 1.1, 1000, 1e-5) > epsilon(0.01, 1.2, 1000, 1e-5));
    assertTrue(epsilon(0.01, 1.1, 1000, 1e-5) > epsilon(0.01, 1.1, 1000, 1e-4));
    assertTrue(epsilon(0.5, 0.7, 3, 1e-6) < epsilon(1.0, 0.7, 3, 1e-6));
  }

  @Test
  void subsampledGaussianApproachesThePlainGaussianAsQGoesToOne() {
    for (double alpha : new double[] {1.5, 2, 7.3, 32}) {
      double plain = alpha / (2 * 1.7 * 1.7);
      double nearlyPlain = SubsampledGaussianRdp.perStep(1 - 1e-9, 1.7, alpha);
      assertEquals(plain, nearlyPlain, plain * 1e-6, "order " + alpha);
      assertTrue(SubsampledGaussianRdp.perStep(0.5, 1.7, alpha) < plain);
    }
  }

  @Test
  void fractionalOrdersInterpolateBetweenNeighbouringIntegerOrders() {
    // Renyi divergence is non-decreasing in its order (van Erven and Harremoes 2014, Thm 3), so
    // the fractional-order series must land between the exact integer-order sums around it.
    for (double[] p : new double[][] {{0.01, 0.8}, {0.001, 2}, {0.3, 1.1}}) {
      for (int lo = 2; lo < 12; lo++) {
        double below = SubsampledGaussianRdp.perStep(p[0], p[1], lo);
        double mid = SubsampledGaussianRdp.perStep(p[0], p[1], lo + 0.5);
        double above = SubsampledGaussianRdp.perStep(p[0], p[1], lo + 1);
        assertTrue(
            below <= mid && mid <= above, "q=" + p[0] + " sigma=" + p[1] + " order " + (lo + 0.5));
      }
    }
  }

  @Test
  void largeNoiseKeepsRelativePrecision() {
    // For sigma -> infinity, RDP(alpha) ~ q^2 alpha / (2 sigma^2) (MTZ 2019); the integer sum must
    // not collapse to 0 or noise even when log(A) is around 1e-12.
    double q = 0.01;
    double sigma = 1000;
    double rdp = SubsampledGaussianRdp.perStep(q, sigma, 8);
    assertEquals(q * q * 8 / (2 * sigma * sigma), rdp, 1e-3 * rdp);
  }

  // 50-digit mpmath quadrature of A_alpha (the check dp_accounting's and TF Privacy's tests use):
  // (q, sigma, alpha) = (0.2, 0.25, 1.1) -> 1.802427344037898, (0.5, 0.1, 3.7) -> 184.0501316414549
  // (both small-sigma cases where the alternating series stalls and quadrature takes over) and
  // (0.2, 0.5, 2.5) -> 2.34819919069229, where both the series and the quadrature apply.
  @Test
  void fractionalOrdersMatchHighPrecisionQuadrature() {
    assertEquals(1.802427344037898, SubsampledGaussianRdp.perStep(0.2, 0.25, 1.1), 1e-12);
    assertEquals(184.0501316414549, SubsampledGaussianRdp.perStep(0.5, 0.1, 3.7), 184 * 1e-13);
    assertEquals(2.34819919069229, SubsampledGaussianRdp.perStep(0.2, 0.5, 2.5), 1e-13);
    assertEquals(
        2.34819919069229 * 1.5, SubsampledGaussianRdp.logAByQuadrature(0.2, 0.5, 2.5), 1e-12);
  }

  @Test
  void smallNoiseAndLargeOrdersStayFinite() {
    double rdp = SubsampledGaussianRdp.perStep(0.5, 0.05, 1024);
    assertTrue(Double.isFinite(rdp) && rdp > 0);
    assertTrue(Double.isFinite(epsilon(0.5, 0.05, 10, 1e-5)));
  }

  @Test
  void compositionAddsCurvesAndMergesRepeatedMechanisms() {
    PrivacyEvent a = new PrivacyEvent.SubsampledGaussian(0.02, 1.0, 100);
    PrivacyEvent b = new PrivacyEvent.SubsampledGaussian(0.05, 2.0, 30);
    RdpAccountant both = RdpAccountant.create().compose(a).compose(b);
    double[] orders = both.orders();
    double[] rdp = both.rdp();
    for (int k = 0; k < orders.length; k++) {
      assertEquals(a.rdp(orders[k]) + b.rdp(orders[k]), rdp[k], 1e-12 * rdp[k]);
    }
    RdpAccountant stepwise = RdpAccountant.create();
    for (int i = 0; i < 4; i++) {
      stepwise = stepwise.compose(new PrivacyEvent.SubsampledGaussian(0.02, 1.0, 25));
    }
    assertEquals(List.of(a), stepwise.events());
    assertEquals(
        RdpAccountant.create().compose(a).epsilon(1e-5).epsilon(),
        stepwise.epsilon(1e-5).epsilon(),
        1e-12);
  }

  @Test
  void improvedConversionIsTighterThanClassicAndDeltaInvertsEpsilon() {
    RdpAccountant accountant =
        RdpAccountant.create().compose(new PrivacyEvent.SubsampledGaussian(0.01, 1.1, 5000));
    PrivacySpent improved = accountant.epsilon(1e-6);
    assertTrue(improved.epsilon() < accountant.epsilonClassic(1e-6).epsilon());
    assertEquals(1e-6, accountant.delta(improved.epsilon()).delta(), 1e-6 * 1e-9);
  }

  @Test
  void persistedAccountantResumesAndRejectsTampering() {
    RdpAccountant accountant =
        RdpAccountant.create()
            .compose(new PrivacyEvent.SubsampledGaussian(0.02, 1.0, 100))
            .compose(PrivacyEvent.SubsampledGaussian.gaussian(5.0, 2));
    String json = accountant.toJson();
    assertTrue(json.contains("\"type\":\"subsampled_gaussian\""), json);
    RdpAccountant resumed = RdpAccountant.fromJson(json);
    assertEquals(accountant, resumed);
    assertEquals(accountant.epsilon(1e-5), resumed.epsilon(1e-5));
    RdpAccountant continued = resumed.compose(new PrivacyEvent.SubsampledGaussian(0.02, 1.0, 1));
    assertTrue(continued.epsilon(1e-5).epsilon() > accountant.epsilon(1e-5).epsilon());

    String tampered = json.replace("\"steps\":100", "\"steps\":10");
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.fromJson(tampered));
    String badRate = json.replace("\"sampling_rate\":0.02", "\"sampling_rate\":1.5");
    InvalidPrivacyParameterException e =
        assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.fromJson(badRate));
    assertTrue(e.getMessage().contains("sampling rate"), e.getMessage());
    assertThrows(
        InvalidPrivacyParameterException.class, () -> RdpAccountant.fromJson("{\"orders\":"));
  }

  @ParameterizedTest
  @CsvSource({
    "1.0, 1e-5, 0.01, 1000",
    "3.0, 1e-6, 0.001, 100000",
    "0.5, 1e-5, 1.0, 1",
    "8, 1e-5, 0.04, 2250",
    "50, 1e-3, 0.2, 10"
  })
  void calibrationRoundTripsThroughEpsilon(double targetEps, double delta, double q, long steps) {
    NoiseCalibration.Result result =
        NoiseCalibration.withDefaultOrders().noiseMultiplier(targetEps, delta, q, steps);
    double achieved = epsilon(q, result.noiseMultiplier(), steps, delta);
    assertEquals(result.achieved().epsilon(), achieved, 0);
    assertTrue(achieved <= targetEps, "achieved " + achieved);
    assertTrue(
        epsilon(q, result.noiseMultiplier() * (1 - 1e-7), steps, delta) > targetEps
            || result.noiseMultiplier() < 1e-3,
        "not the smallest sigma");
  }

  @Test
  void invalidParametersAreTypedErrors() {
    assertThrows(
        InvalidPrivacyParameterException.class, () -> new PrivacyEvent.SubsampledGaussian(0, 1, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new PrivacyEvent.SubsampledGaussian(1.01, 1, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new PrivacyEvent.SubsampledGaussian(0.1, 0, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new PrivacyEvent.SubsampledGaussian(0.1, Double.NaN, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new PrivacyEvent.SubsampledGaussian(0.1, 1, 0));
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.create().epsilon(0));
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.create().epsilon(1));
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.create().delta(-1));
    assertThrows(InvalidPrivacyParameterException.class, () -> RdpAccountant.withOrders(1.0));
    assertThrows(
        UnattainablePrivacyTargetException.class,
        () -> NoiseCalibration.withDefaultOrders().noiseMultiplier(1e-9, 1e-10, 1.0, 1000));
  }

  @Test
  void emptyAccountantSpendsNothing() {
    assertEquals(0, RdpAccountant.create().epsilon(1e-5).epsilon());
  }
}
