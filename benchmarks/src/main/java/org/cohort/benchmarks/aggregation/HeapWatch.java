package org.cohort.benchmarks.aggregation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * This JVM's memory between {@link #reset} and now: the peak of heap in use (the sum of each heap
 * pool's peak, an upper bound that includes garbage not yet collected) and the process's resident
 * set high-water mark (VmHWM, Linux). What a program really needs is shown best by running it under
 * a small fixed -Xmx: it completes or fails with OutOfMemoryError.
 */
public final class HeapWatch {

  private final List<MemoryPoolMXBean> heapPools =
      ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == MemoryType.HEAP)
          .toList();

  /** Collects garbage, then starts a new measurement from what is live now. */
  public void reset() {
    System.gc();
    heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
  }

  public long peakHeapBytes() {
    return heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }

  public static long maxHeapBytes() {
    return Runtime.getRuntime().maxMemory();
  }

  /** Peak resident set size of this process in bytes (VmHWM), or -1 where /proc is missing. */
  public static long residentHighWaterMarkBytes() {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The 1, 5 and 15 minute load averages, as /proc/loadavg shows them. */
  public static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  public static String mib(long bytes) {
    return String.format("%.0f MiB", bytes / (1024.0 * 1024.0));
  }
}
