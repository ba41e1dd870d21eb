package org.cohort.examples;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.Callable;
import org.cohort.auditor.AuditorCommand;
import org.cohort.coordinator.CoordinatorCommand;
import org.cohort.coordinator.config.ConfigException;
import org.cohort.provisioning.ProvisionCommand;
import org.cohort.site.SiteCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cohort} launcher (bin/cohort): one entry point for every role. provision, coordinator,
 * site and auditor are each module's own command, run unchanged (their exit codes and one-line
 * errors included); demo, simulate and prepare-breast-cancer live here.
 */
@Command(
    name = "cohort",
    mixinStandardHelpOptions = true,
    version = CohortCli.VERSION,
    description = "Privacy-preserving federated learning for hospital consortia.",
    commandListHeading = "%nCommands:%n",
    footer = {"", "Run 'cohort COMMAND --help' for a command's options. Bad arguments exit 2."})
public final class CohortCli implements Callable<Integer> {

  static final String VERSION = "cohort 0.1.0";

  /** Commands whose own INFO logs would drown their output (the child processes keep theirs). */
  private static final Set<String> QUIET_COMMANDS =
      Set.of("demo", "simulate", "prepare-breast-cancer");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command; see cohort --help");
  }

  public static void main(String[] args) {
    if (args.length > 0
        && QUIET_COMMANDS.contains(args[0])
        && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    int exit = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    System.exit(exit);
  }

  /** Runs one command and returns its exit code: 0 success, 1 failure, 2 bad input. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    try {
      if (args.length > 0) {
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
          case "provision":
            return ProvisionCommand.run(out, err, rest);
          case "auditor":
            return AuditorCommand.run(out, err, rest);
          case "coordinator":
            return configure(new CommandLine(new CoordinatorCommand()), out, err).execute(rest);
          case "site":
            return configure(new CommandLine(new SiteCommand()), out, err).execute(rest);
          default:
            break;
        }
      }
      return configure(commandLine(), out, err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The launcher's own command tree; the delegated commands are listed for --help. */
  static CommandLine commandLine() {
    return new CommandLine(new CohortCli())
        .addSubcommand("provision", new ProvisionCommand())
        .addSubcommand("coordinator", new CoordinatorCommand())
        .addSubcommand("site", new SiteCommand())
        .addSubcommand("auditor", new AuditorCommand())
        .addSubcommand("demo", new DemoCommand())
        .addSubcommand("simulate", new SimulateCommand())
        .addSubcommand("prepare-breast-cancer", new PrepareBreastCancerCommand());
  }

  private static CommandLine configure(CommandLine cli, PrintWriter out, PrintWriter err) {
    return cli.setOut(out)
        .setErr(err)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(
            (failure, arguments) -> {
              CommandLine failed = failure.getCommandLine();
              failed.getErr().println(qualifiedName(failed) + ": " + failure.getMessage());
              return CommandLine.ExitCode.USAGE;
            })
        .setExecutionExceptionHandler(
            (failure, failed, parsed) -> {
              if (failure instanceof ConfigException) {
                // A setting the coordinator refuses (e.g. a robust strategy under secure
                // aggregation): bad input.
                failed
                    .getErr()
                    .println(
                        qualifiedName(failed)
                            + ": invalid coordinator configuration: "
                            + failure.getMessage());
                return CommandLine.ExitCode.USAGE;
              }
              if (failure instanceof InvalidInputException
                  || failure instanceof DemoCommand.DemoFailure) {
                failed.getErr().println(qualifiedName(failed) + ": " + failure.getMessage());
                return failure instanceof InvalidInputException
                    ? CommandLine.ExitCode.USAGE
                    : CommandLine.ExitCode.SOFTWARE;
              }
              failed.getErr().println(qualifiedName(failed) + ": failed: " + failure);
              failure.printStackTrace(failed.getErr());
              return CommandLine.ExitCode.SOFTWARE;
            });
  }

  private static String qualifiedName(CommandLine command) {
    return command.getCommandSpec().qualifiedName(" ");
  }
}
