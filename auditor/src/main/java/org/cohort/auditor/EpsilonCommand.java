package org.cohort.auditor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** ε spent by T steps of the Poisson-subsampled Gaussian mechanism, and the optimal Rényi order. */
@Command(
    name = "epsilon",
    mixinStandardHelpOptions = true,
    description =
        "Epsilon of T steps of the subsampled Gaussian mechanism (RDP accountant, CKS 2020 conversion).")
public final class EpsilonCommand implements Callable<Integer> {

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin private PrivacyArguments arguments;

  private double noiseMultiplier;

  @Option(
      names = "--noise-multiplier",
      required = true,
      paramLabel = "S",
      description = "Noise standard deviation divided by the L2 sensitivity, > 0.")
  void noiseMultiplier(double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw arguments.invalid("--noise-multiplier must be > 0 and finite, got " + sigma);
    }
    noiseMultiplier = sigma;
  }

  @Override
  public Integer call() {
    PrivacySpent spent =
        RdpAccountant.create()
            .compose(
                new PrivacyEvent.SubsampledGaussian(
                    arguments.samplingRate, noiseMultiplier, arguments.steps))
            .epsilon(arguments.delta);
    if (arguments.json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("epsilon", spent.epsilon());
      fields.put("delta", spent.delta());
      fields.put("order", spent.order());
      Output.json(spec, fields);
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "epsilon = %s (delta = %s, optimal Renyi order = %s)%n",
              Output.number(spent.epsilon()),
              Output.number(spent.delta()),
              Output.number(spent.order()));
    }
    return CommandLine.ExitCode.OK;
  }
}
