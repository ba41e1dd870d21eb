package org.cohort.auditor;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Options shared by the privacy subcommands, each checked against its mathematical domain. */
public final class PrivacyArguments {

  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  private CommandSpec spec;

  double samplingRate;
  long steps;
  double delta;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Option(
      names = "--sampling-rate",
      required = true,
      paramLabel = "Q",
      description = "Poisson sampling rate in (0, 1]; 1 means no subsampling.")
  void samplingRate(double q) {
    if (!(q > 0 && q <= 1)) {
      throw invalid("--sampling-rate must be in (0, 1], got " + q);
    }
    samplingRate = q;
  }

  @Option(
      names = "--steps",
      required = true,
      paramLabel = "T",
      description = "Number of noisy steps, >= 1.")
  void steps(long t) {
    if (t < 1) {
      throw invalid("--steps must be >= 1, got " + t);
    }
    steps = t;
  }

  @Option(
      names = "--delta",
      required = true,
      paramLabel = "D",
      description = "Target delta in (0, 1).")
  void delta(double d) {
    if (!(d > 0 && d < 1)) {
      throw invalid("--delta must be in (0, 1), got " + d);
    }
    delta = d;
  }

  CommandLine.ParameterException invalid(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
