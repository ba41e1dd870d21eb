package org.cohort.benchmarks.privacy;

import java.util.concurrent.TimeUnit;
import org.cohort.privacy.accounting.NoiseCalibration;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/** Cost of one ε computation on the default 156 orders and of one calibration. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AccountantBenchmark {

  /** Opacus tutorial setting: σ 1.5, q 0.04, 2250 steps, δ 1e-5. */
  @Benchmark
  public PrivacySpent epsilonDefaultOrders() {
    return RdpAccountant.create()
        .compose(new PrivacyEvent.SubsampledGaussian(0.04, 1.5, 2250))
        .epsilon(1e-5);
  }

  @Benchmark
  public NoiseCalibration.Result calibrate() {
    return NoiseCalibration.withDefaultOrders().noiseMultiplier(8, 1e-5, 0.04, 2250);
  }
}
