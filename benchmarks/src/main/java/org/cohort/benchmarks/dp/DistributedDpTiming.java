package org.cohort.benchmarks.dp;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import org.cohort.privacy.distributed.Contributions;
import org.cohort.privacy.distributed.DistributedNoisePlan;
import org.cohort.privacy.distributed.DistributedNoiseSpec;
import org.cohort.privacy.distributed.NoiseKind;

/**
 * CPU time of one site's encode and the coordinator's decode of the distributed discrete Gaussian
 * pipeline for a model of d parameters (default 1,000,000), at a few bit widths. Not JMH: one
 * warm-up and three timed repetitions of each, reporting the median thread CPU time.
 *
 * <p>Run: java -cp benchmarks/target/classes:privacy/target/classes
 * org.cohort.benchmarks.dp.DistributedDpTiming [d]
 */
public final class DistributedDpTiming {

  private static final int REPETITIONS = 3;

  private DistributedDpTiming() {}

  public static void main(String[] args) {
    int d = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    float[] update = new float[d];
    SplittableRandom random = new SplittableRandom(1);
    double squared = 0;
    for (int i = 0; i < d; i++) {
      update[i] = (float) random.nextGaussian();
      squared += (double) update[i] * update[i];
    }
    float scale = (float) (0.999 / Math.sqrt(squared));
    for (int i = 0; i < d; i++) {
      update[i] *= scale;
    }
    byte[] seed = new byte[48];
    for (int bits : new int[] {16, 20, 32}) {
      DistributedNoisePlan plan =
          DistributedNoisePlan.create(
              new DistributedNoiseSpec(
                  d,
                  1.0,
                  1.0,
                  5,
                  10,
                  bits,
                  DistributedNoiseSpec.DEFAULT_K_SIGMAS,
                  new Contributions.OnePerSite(Contributions.OnePerSite.RECOMMENDED_BETA),
                  NoiseKind.DISCRETE_GAUSSIAN));
      long[] encode = new long[REPETITIONS];
      long[] decode = new long[REPETITIONS];
      int[] residues = plan.encode(update, seed);
      plan.decode(residues, seed);
      for (int r = 0; r < REPETITIONS; r++) {
        long start = threads.getCurrentThreadCpuTime();
        residues = plan.encode(update, seed);
        long middle = threads.getCurrentThreadCpuTime();
        plan.decode(residues, seed);
        encode[r] = middle - start;
        decode[r] = threads.getCurrentThreadCpuTime() - middle;
      }
      java.util.Arrays.sort(encode);
      java.util.Arrays.sort(decode);
      System.out.printf(
          "d=%d bits=%d shareSigma=%.4g: encode %.0f ms CPU, decode %.0f ms CPU (median of %d)%n",
          d,
          bits,
          plan.shareSigma(),
          encode[REPETITIONS / 2] / 1e6,
          decode[REPETITIONS / 2] / 1e6,
          REPETITIONS);
    }
  }
}
