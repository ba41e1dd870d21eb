package org.cohort.benchmarks.privacy;

import java.util.concurrent.TimeUnit;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.noise.DiscreteGaussianSampler;
import org.cohort.privacy.noise.DiscreteGaussianTable;
import org.cohort.privacy.noise.GaussianNoise;
import org.cohort.privacy.noise.L2Clipping;
import org.cohort.privacy.noise.SkellamSampler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Noise and clipping on one million values (the size of a small model update), and the exact
 * discrete Gaussian per sample. Run: java -cp benchmarks/target/classes:benchmarks/target/lib/*
 * org.openjdk.jmh.Main NoiseBenchmark
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NoiseBenchmark {

  private static final int MILLION = 1_000_000;

  private float[] update;
  private long[] integers;
  private long[] fewIntegers;
  private GaussianNoise gaussian;
  private SkellamSampler skellam;
  private DiscreteGaussianSampler discreteGaussian;
  private DiscreteGaussianTable discreteGaussianTable;

  @Setup
  public void setUp() {
    update = new float[MILLION];
    integers = new long[MILLION];
    fewIntegers = new long[1000];
    gaussian = GaussianNoise.create();
    skellam = SkellamSampler.withVariance(AesCtrDrbg.create(), 2000.0);
    discreteGaussian = DiscreteGaussianSampler.withSigmaSquared(AesCtrDrbg.create(), 1L << 20);
    discreteGaussianTable = new DiscreteGaussianTable(AesCtrDrbg.create(), 1024);
  }

  /** Grid-snapped continuous Gaussian noise added to 1M floats. */
  @Benchmark
  public float[] gaussianNoiseOneMillion() {
    gaussian.addTo(update, 1.0);
    return update;
  }

  /** Skellam(μ = 1000) on 1M integers (two Poisson variates each). */
  @Benchmark
  public long[] skellamOneMillion() {
    skellam.sample(integers);
    return integers;
  }

  /** Exact CKS discrete Gaussian, σ² = 2^20, 1000 samples (scale per sample). */
  @Benchmark
  public long[] exactDiscreteGaussianOneThousand() {
    discreteGaussian.sample(fewIntegers);
    return fewIntegers;
  }

  /** Table (128-bit CDF inversion) discrete Gaussian, σ = 1024, on 1M integers. */
  @Benchmark
  public long[] tableDiscreteGaussianOneMillion() {
    discreteGaussianTable.sample(integers);
    return integers;
  }

  /** L2 norm and clip of 1M floats. */
  @Benchmark
  public double clipOneMillion() {
    return L2Clipping.clipInPlace(update, 1e-3);
  }
}
