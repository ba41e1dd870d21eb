package org.cohort.benchmarks.round;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.cohort.benchmarks.aggregation.HeapWatch;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;

/**
 * The coordinator of {@link RoundBenchmark}, in its own JVM so that its heap and resident set are
 * its own. Reports to the harness on stdout, one line per fact: {@code LISTENING port}, {@code
 * ROUND number phase wall-ns cpu-ns} per round, {@code CHECK max-abs-error} (the final model
 * against base + rounds x the echo constant) and {@code MEMORY heap-peak vm-hwm max-heap} in bytes,
 * then exits. With {@code -Dcohort.bench.threadCpu=true} it also prints its CPU time by thread to
 * stderr.
 */
public final class CoordinatorProcess {

  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) {
    CoordinatorConfig config = CoordinatorConfig.load(Path.of(args[0]));
    HeapWatch heap = new HeapWatch();
    float[] base = config.layout().initialParameters(config.model().seed());
    try (Coordinator coordinator = Coordinator.start(config)) {
      coordinator.addListener(
          new RoundListener() {
            private long cpuAtStart;

            @Override
            public void roundStarted(long round, List<String> participants) {
              cpuAtStart = OS.getProcessCpuTime();
            }

            @Override
            public void roundFinished(RoundSummary summary) {
              report(
                  "ROUND %d %s %d %d",
                  summary.round(),
                  summary.phase(),
                  summary.duration().toNanos(),
                  OS.getProcessCpuTime() - cpuAtStart);
            }
          });
      heap.reset();
      report("LISTENING %d", coordinator.port());
      long completed = coordinator.finished().join();
      float[] trained = coordinator.globalModel().parameters();
      double maxError = 0;
      for (int i = 0; i < trained.length; i++) {
        maxError =
            Math.max(maxError, Math.abs(trained[i] - (base[i] + completed * EchoTrainer.DELTA)));
      }
      report("CHECK %g", maxError);
      report(
          "MEMORY %d %d %d",
          heap.peakHeapBytes(), HeapWatch.residentHighWaterMarkBytes(), HeapWatch.maxHeapBytes());
      if (Boolean.getBoolean("cohort.bench.threadCpu")) {
        ThreadCpu.print(System.err);
      }
    }
  }

  private static void report(String format, Object... args) {
    System.out.printf(format + "%n", args);
    System.out.flush();
  }

  private CoordinatorProcess() {}
}
