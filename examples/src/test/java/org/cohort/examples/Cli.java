package org.cohort.examples;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs {@link CohortCli} in process and keeps what it printed. */
record Cli(int exitCode, String out, String err) {

  static Cli run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = CohortCli.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(exit, out.toString(), err.toString());
  }

  List<String> errLines() {
    return err.lines().filter(line -> !line.isBlank()).toList();
  }
}
