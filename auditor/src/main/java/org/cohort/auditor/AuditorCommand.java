package org.cohort.auditor;

import java.io.PrintWriter;
import org.cohort.privacy.accounting.InvalidPrivacyParameterException;
import org.cohort.privacy.accounting.UnattainablePrivacyTargetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The auditor's command line: privacy arithmetic an auditor can redo offline. */
@Command(
    name = "auditor",
    mixinStandardHelpOptions = true,
    version = "cohort auditor 0.1.0",
    description =
        "Recompute and calibrate differential-privacy spend (Renyi DP or PLD accountant; Gaussian,"
            + " distributed discrete Gaussian and Skellam mechanisms).",
    subcommands = {EpsilonCommand.class, CalibrateCommand.class})
public final class AuditorCommand implements Runnable {

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int exitCode = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    System.exit(exitCode);
  }

  /** Runs the command with the given streams and returns its exit code (2 for bad arguments). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine =
        new CommandLine(new AuditorCommand())
            .setOut(out)
            .setErr(err)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setParameterExceptionHandler(AuditorCommand::oneLineUsageError)
            .setExecutionExceptionHandler(AuditorCommand::oneLineFailure);
    int exitCode = commandLine.execute(args);
    out.flush();
    err.flush();
    return exitCode;
  }

  /** Bad arguments get one line naming the problem, not the whole usage text. */
  static int oneLineUsageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage());
    cmd.getErr().flush();
    return CommandLine.ExitCode.USAGE;
  }

  /**
   * Arguments that pass their own checks but not the accountant's (a privacy target no noise
   * reaches, a mechanism a chosen accountant has no model for) are bad input too: one line, exit 2.
   * Anything else is a bug, still reported on one line (exit 1), never as a stack trace.
   */
  static int oneLineFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    boolean badInput =
        e instanceof InvalidPrivacyParameterException
            || e instanceof UnattainablePrivacyTargetException;
    cmd.getErr()
        .println(
            cmd.getCommandName() + ": " + (badInput ? e.getMessage() : "internal error: " + e));
    cmd.getErr().flush();
    return badInput ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand (epsilon or calibrate)");
  }
}
