package org.cohort.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AnalyticGaussianTest {

  // Source:
  // https://github.com/google/differential-privacy/blob/main/python/dp_accounting/dp_accounting/pld/accountant_test.py
  // test_get_smallest_gaussian_noise 'base': sensitivity 1, epsilon 1, delta 0.78760074,
  // 1 query -> std 1/3 (assertAlmostEqual, 7 places); 'varying_sensitivity_and_num_queries':
  // sensitivity 6, 25 queries -> std 10, i.e. the same single release with multiplier 10/(6*5).
  @Test
  void dpAccountingSmallestGaussianNoise() {
    assertEquals(1.0 / 3, AnalyticGaussian.noiseMultiplier(1, 0.78760074), 1e-8);
    assertEquals(0.78760074, AnalyticGaussian.delta(1, 1.0 / 3), 1e-8);
    assertEquals(1.0, AnalyticGaussian.epsilon(1.0 / 3, 0.78760074), 1e-7);
  }

  // Source:
  // https://github.com/tensorflow/privacy/blob/master/tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py
  // PLD rows without sampling (dp_accounting's PLD accountant on k Gaussian releases, which is the
  // exact Gaussian curve up to its discretisation): num_epochs 1.2 -> 2 releases, delta 1e-5,
  //   no_microbatching_no_subsampling_pld (sigma 0.7)  -> 10.1224946
  //   microbatching_no_subsampling_pld (sigma 0.35)    -> 24.7160779
  // and test_dp_sgd_privacy_statement_no_user_dp_with_pld: 5 releases of sigma 1.0, delta 1e-6
  // -> 12.595. k releases of sigma compose to one of sigma / sqrt(k). All published digits match.
  @Test
  void tfPrivacyPldValuesWithoutSampling() {
    assertEquals(10.1224946, AnalyticGaussian.epsilon(0.7 / Math.sqrt(2), 1e-5), 5e-8);
    assertEquals(24.7160779, AnalyticGaussian.epsilon(0.35 / Math.sqrt(2), 1e-5), 5e-8);
    assertEquals(12.595, AnalyticGaussian.epsilon(1 / Math.sqrt(5), 1e-6), 5e-4);
  }

  // TF Privacy rdp_accountant_test.py test_get_privacy_spent_gaussian compares the RDP delta of
  // sigma = 1 with this exact curve: the RDP bound must never be below it.
  @Test
  void rdpConversionNeverBeatsTheExactCurve() {
    double[] orders = new double[495];
    for (int x = 11; x < 506; x++) {
      orders[x - 11] = 0.1 * x;
    }
    RdpAccountant accountant =
        RdpAccountant.withOrders(orders).compose(PrivacyEvent.SubsampledGaussian.gaussian(1, 1));
    for (int x = 0; x < 100; x++) {
      double eps = 0.1 * x;
      assertTrue(
          AnalyticGaussian.delta(eps, 1) <= accountant.delta(eps).delta() + 1e-300, "eps " + eps);
    }
    double sigma = AnalyticGaussian.noiseMultiplier(1, 1e-5);
    assertTrue(
        sigma
            < NoiseCalibration.withDefaultOrders()
                .noiseMultiplier(1, 1e-5, 1.0, 1)
                .noiseMultiplier());
    assertEquals(1e-5, AnalyticGaussian.delta(1, sigma), 1e-5 * 1e-9);
  }
}
