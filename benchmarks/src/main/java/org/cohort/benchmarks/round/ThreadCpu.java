package org.cohort.benchmarks.round;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU seconds of this process by thread name (digits folded, so "cohort-rounds", "G1 Conc#", "C2
 * CompilerThread#" and the event loops group together), from /proc/self/task. Unlike a sampling
 * profiler it also counts GC, JIT and time inside native code such as BoringSSL.
 */
final class ThreadCpu {

  private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

  static void print(PrintStream out) {
    Map<String, Double> seconds = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue; // the thread ended meanwhile
        }
        String name =
            stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        seconds.merge(name, cpu, Double::sum);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    seconds.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> out.printf("cpu %-24s %6.2f s%n", e.getKey(), e.getValue()));
  }

  private ThreadCpu() {}
}
