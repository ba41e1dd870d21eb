package org.cohort.benchmarks.aggregation;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * This JVM's memory between {@link #reset} and now: the peak of heap in use (the sum of each heap
 * pool's peak, an upper bound that includes garbage not yet collected), the most heap still live
 * right after any garbage collection (what the program really holds), and the process's resident
 * set high-water mark (VmHWM, Linux).
 */
public final class HeapWatch {

  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP).toList();
  private final AtomicLong maxLiveAfterGc = new AtomicLong();

  public HeapWatch() {
    NotificationListener onGc = (notification, handback) -> {
      if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
        var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()).getGcInfo();
        long live = info.getMemoryUsageAfterGc().values().stream().mapToLong(MemoryUsage::getUsed).sum()
            - nonHeapUsed(info.getMemoryUsageAfterGc());
        maxLiveAfterGc.accumulateAndGet(live, Math::max);
      }
    };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener(onGc, null, null);
    }
  }

  private long nonHeapUsed(Map<String, MemoryUsage> byPool) {
    long nonHeap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage usage = byPool.get(pool.getName());
      if (pool.getType() != MemoryType.HEAP && usage != null) {
        nonHeap += usage.getUsed();
      }
    }
    return nonHeap;
  }

  /** Collects garbage, then starts a new measurement from what is live now. */
  public void reset() {
    System.gc();
    heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
    maxLiveAfterGc.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
  }

  public long peakHeapBytes() {
    return heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
  }

  public long maxLiveAfterGcBytes() {
    return maxLiveAfterGc.get();
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
