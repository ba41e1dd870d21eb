package org.cohort.auditor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cohort.privacy.accounting.NoiseCalibration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The smallest noise multiplier meeting a target (ε, δ) for T subsampled Gaussian steps. */
@Command(
    name = "calibrate",
    mixinStandardHelpOptions = true,
    description = "Smallest noise multiplier whose epsilon after T steps is at most the target.")
public final class CalibrateCommand implements Callable<Integer> {

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin private PrivacyArguments arguments;

  private double targetEpsilon;

  @Option(
      names = "--epsilon",
      required = true,
      paramLabel = "E",
      description = "Target epsilon, > 0.")
  void targetEpsilon(double epsilon) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw arguments.invalid("--epsilon must be > 0 and finite, got " + epsilon);
    }
    targetEpsilon = epsilon;
  }

  @Override
  public Integer call() {
    // An unattainable target is reported by AuditorCommand's handler: one line, exit 2.
    NoiseCalibration.Result result =
        NoiseCalibration.withDefaultOrders()
            .noiseMultiplier(
                targetEpsilon, arguments.delta, arguments.samplingRate, arguments.steps);
    if (arguments.json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("noise_multiplier", result.noiseMultiplier());
      fields.put("epsilon", result.achieved().epsilon());
      fields.put("delta", result.achieved().delta());
      fields.put("order", result.achieved().order());
      Output.json(spec, fields);
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "noise multiplier = %s (epsilon = %s, delta = %s, optimal Renyi order = %s)%n",
              Output.number(result.noiseMultiplier()),
              Output.number(result.achieved().epsilon()),
              Output.number(result.achieved().delta()),
              Output.number(result.achieved().order()));
    }
    return CommandLine.ExitCode.OK;
  }
}
