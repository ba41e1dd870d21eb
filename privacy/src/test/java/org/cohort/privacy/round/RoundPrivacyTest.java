package org.cohort.privacy.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cohort.privacy.accounting.InvalidPrivacyParameterException;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.RdpAccountant;
import org.cohort.privacy.distributed.DistributedNoisePlan;
import org.cohort.privacy.distributed.NoiseKind;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.privacy.noise.GaussianNoise;
import org.junit.jupiter.api.Test;

class RoundPrivacyTest {

  private static final byte[] SEED = new byte[RandomizedHadamard.SEED_BYTES];

  private static RoundPrivacy central(double z) {
    return new RoundPrivacy(RoundPrivacy.Mode.CENTRAL, 1.0, z, 0.01, 100, 1000, 1);
  }

  private static RoundPrivacy distributed(double z, int bits, int guaranteed, int sites) {
    return new RoundPrivacy(
        RoundPrivacy.Mode.DISTRIBUTED,
        1.0,
        z,
        0.02,
        200,
        1000,
        1,
        new RoundPrivacy.Distributed(bits, NoiseKind.DISCRETE_GAUSSIAN, guaranteed, sites, SEED));
  }

  @Test
  void theGaussianNoiseCoversTheGridsSensitivityInflation() {
    int dimension = 1_000_000;
    double z = 1.1;
    double clipNorm = 0.7;
    double sigma = RoundPrivacy.gaussianStdDev(z, clipNorm, dimension);
    assertTrue(sigma >= z * (clipNorm + GaussianNoise.sensitivityInflation(sigma, dimension)));
    assertTrue(sigma <= z * clipNorm * (1 + 1e-4), "only slightly above z C: " + sigma);
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> RoundPrivacy.gaussianStdDev(1e5, 1.0, dimension));
  }

  /**
   * Central and local rounds are Poisson-subsampled Gaussian steps (the accountant itself is pinned
   * to published values in the accounting tests); local rounds count local_steps each.
   */
  @Test
  void centralAndLocalRoundsAreSubsampledGaussianSteps() {
    assertEquals(new PrivacyEvent.SubsampledGaussian(0.01, 1.1, 1000), central(1.1).over(1000));
    assertEquals(
        RdpAccountant.create()
            .compose(new PrivacyEvent.SubsampledGaussian(0.01, 1.1, 1000))
            .epsilon(1e-5)
            .epsilon(),
        central(1.1).spent(1000, 1e-5).epsilon());
    RoundPrivacy local = new RoundPrivacy(RoundPrivacy.Mode.LOCAL, 1.0, 1.1, 0.01, 100, 1000, 10);
    assertEquals(new PrivacyEvent.SubsampledGaussian(0.01, 1.1, 1000), local.over(100));
  }

  @Test
  void calibrationMeetsTheTargetWithTheLeastNoise() {
    RoundPrivacy calibrated = central(1).calibrated(3.0, 1e-5, 500);
    double epsilon = calibrated.spent(500, 1e-5).epsilon();
    assertTrue(epsilon <= 3.0 && epsilon > 2.99, "epsilon " + epsilon);
    RoundPrivacy distributed = distributed(1, 20, 3, 5).calibrated(3.0, 1e-5, 100);
    double spent = distributed.spent(100, 1e-5).epsilon();
    assertTrue(spent <= 3.0 && spent > 2.99, "epsilon " + spent);
    // Rounding inflates the sensitivity, so the integer mechanism needs a little more noise.
    assertTrue(
        distributed.noiseMultiplier()
            > new RoundPrivacy(RoundPrivacy.Mode.CENTRAL, 1.0, 1, 0.02, 200, 1000, 1)
                .calibrated(3.0, 1e-5, 100)
                .noiseMultiplier());
  }

  /**
   * Dropouts: each share carries 1/n_min of the variance, so n_min shares already give noise z·C
   * (in real units, after decoding) and every share beyond adds to it.
   */
  @Test
  void anyGuaranteedNumberOfSharesCarriesTheWholeNoise() {
    DistributedNoisePlan plan = distributed(1.5, 20, 3, 6).plan();
    assertEquals(1.5, plan.decodedNoiseStd(3), 1e-3);
    assertTrue(plan.decodedNoiseStd(6) > plan.decodedNoiseStd(3));
    PrivacyEvent.DistributedDiscreteGaussian event =
        (PrivacyEvent.DistributedDiscreteGaussian) distributed(1.5, 20, 3, 6).over(10);
    assertEquals(3, event.shares());
    assertEquals(plan.l2Sensitivity(), event.l2Sensitivity(), 0);
    assertEquals(10, event.steps());
    // The record-level sensitivity: C/γ plus one unit of rounding per padded coordinate.
    assertEquals(
        1.0 / plan.gamma() + Math.sqrt(plan.paddedDimension()), plan.l2Sensitivity(), 1e-9);
    double gaussian =
        RdpAccountant.create()
            .compose(new PrivacyEvent.SubsampledGaussian(0.02, 1.5, 10))
            .epsilon(1e-5)
            .epsilon();
    assertTrue(distributed(1.5, 20, 3, 6).spent(10, 1e-5).epsilon() >= gaussian);
  }

  @Test
  void settingsThatCannotWorkAreRefused() {
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new RoundPrivacy(RoundPrivacy.Mode.DISTRIBUTED, 1, 1, 0.1, 10, 100, 1, null));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new RoundPrivacy(RoundPrivacy.Mode.CENTRAL, 0, 1, 0.1, 10, 100, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new RoundPrivacy(RoundPrivacy.Mode.CENTRAL, 1, 1, 1.5, 10, 100, 1));
    assertThrows(
        InvalidPrivacyParameterException.class,
        () -> new RoundPrivacy.Distributed(16, NoiseKind.DISCRETE_GAUSSIAN, 4, 3, SEED));
    // 8 bits cannot hold a sum of 200 clipped gradients and its noise without inflating the
    // sensitivity.
    assertThrows(IllegalArgumentException.class, () -> distributed(1, 8, 3, 5).plan());
  }
}
