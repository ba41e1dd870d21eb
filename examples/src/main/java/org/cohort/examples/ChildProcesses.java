package org.cohort.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's participants as separate OS processes: the same java binary and classpath as this JVM,
 * running {@link CohortCli} with a subcommand, OMP_NUM_THREADS=1, output to a log file. Every
 * process started here is stopped by {@link #close()} and, if this JVM is interrupted or exits
 * first, by a shutdown hook.
 */
final class ChildProcesses implements AutoCloseable {

  /** A started participant. */
  record Child(String name, Process process, Path log) {}

  /** Small heaps and one GC thread: six JVMs share two cores here. */
  private static final List<String> JVM_OPTIONS =
      List.of(
          "-Xmx512m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-Djava.awt.headless=true",
          "-Dorg.slf4j.simpleLogger.showDateTime=true",
          "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

  private final List<Child> children = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::stopAll, "cohort-demo-cleanup");

  ChildProcesses() {
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  Child start(String name, Path log, List<String> cohortArguments) {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.addAll(JVM_OPTIONS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(CohortCli.class.getName());
    command.addAll(cohortArguments);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    builder.environment().put("OMP_NUM_THREADS", "1");
    try {
      Files.createDirectories(log.getParent());
      Child child = new Child(name, builder.start(), log);
      synchronized (children) {
        children.add(child);
      }
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** Asks every live child to stop, then kills those still running after a grace period. */
  private void stopAll() {
    List<Child> snapshot;
    synchronized (children) {
      snapshot = List.copyOf(children);
    }
    for (Child child : snapshot) {
      child.process().destroy();
    }
    for (Child child : snapshot) {
      try {
        if (!child.process().waitFor(3, TimeUnit.SECONDS)) {
          child.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        child.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run; nothing left to undo.
    }
  }
}
