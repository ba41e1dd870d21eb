package org.cohort.auditor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cohort.privacy.accounting.PldAccountant;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * ε spent by T Poisson-subsampled rounds of a noise mechanism: the Gaussian (central or local DP),
 * the distributed discrete Gaussian or the Skellam mechanism (distributed DP under secure
 * aggregation), with the RDP accountant (and its optimal order) or, for the Gaussian, the PLD one.
 */
@Command(
    name = "epsilon",
    mixinStandardHelpOptions = true,
    description =
        "Epsilon of T subsampled rounds of a noise mechanism (RDP accountant with the CKS 2020"
            + " conversion, or the PLD accountant for the Gaussian).")
public final class EpsilonCommand implements Callable<Integer> {

  /** The noise mechanism whose releases are accounted. */
  enum Mechanism {
    GAUSSIAN,
    DDG,
    SKELLAM
  }

  /** How the rounds are composed and converted to (ε, δ). */
  enum Accountant {
    RDP,
    PLD
  }

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin private PrivacyArguments arguments;

  @Option(
      names = "--mechanism",
      paramLabel = "M",
      defaultValue = "gaussian",
      description = "gaussian (default), ddg (distributed discrete Gaussian) or skellam.")
  private Mechanism mechanism;

  @Option(
      names = "--accountant",
      paramLabel = "A",
      defaultValue = "rdp",
      description = "rdp (default) or pld (Gaussian only; tighter).")
  private Accountant accountant;

  private Double noiseMultiplier;
  private Double l2Sensitivity;
  private Double l1Sensitivity;
  private Double shareSigma;
  private Integer shares;
  private Integer dimension;
  private Double variance;
  private double discretization = 1e-4;

  @Option(
      names = "--noise-multiplier",
      paramLabel = "S",
      description = "gaussian: noise standard deviation divided by the L2 sensitivity, > 0.")
  void noiseMultiplier(double sigma) {
    noiseMultiplier = positive("--noise-multiplier", sigma);
  }

  @Option(
      names = "--l2-sensitivity",
      paramLabel = "L2",
      description = "ddg, skellam: L2 sensitivity of one site's integer vector, > 0.")
  void l2Sensitivity(double value) {
    l2Sensitivity = positive("--l2-sensitivity", value);
  }

  @Option(
      names = "--l1-sensitivity",
      paramLabel = "L1",
      description = "ddg, skellam: L1 sensitivity of one site's integer vector, > 0.")
  void l1Sensitivity(double value) {
    l1Sensitivity = positive("--l1-sensitivity", value);
  }

  @Option(
      names = "--share-sigma",
      paramLabel = "S",
      description = "ddg: standard deviation of each site's discrete Gaussian share, >= 0.5.")
  void shareSigma(double value) {
    if (!(value >= 0.5) || Double.isInfinite(value)) {
      throw arguments.invalid("--share-sigma must be >= 0.5 and finite, got " + value);
    }
    shareSigma = value;
  }

  @Option(
      names = "--shares",
      paramLabel = "N",
      description = "ddg: number of sites adding a noise share to the sum, >= 1.")
  void shares(int value) {
    shares = atLeastOne("--shares", value);
  }

  @Option(
      names = "--dimension",
      paramLabel = "D",
      description = "ddg: length of the summed integer vector, >= 1.")
  void dimension(int value) {
    dimension = atLeastOne("--dimension", value);
  }

  @Option(
      names = "--variance",
      paramLabel = "V",
      description = "skellam: total per-coordinate variance of the noise in the released sum, > 0.")
  void variance(double value) {
    variance = positive("--variance", value);
  }

  @Option(
      names = "--discretization",
      paramLabel = "H",
      description = "pld: width of the privacy-loss grid, in (0, 0.1]; default 1e-4.")
  void discretization(double value) {
    if (!(value > 0 && value <= 0.1)) {
      throw arguments.invalid("--discretization must be in (0, 0.1], got " + value);
    }
    discretization = value;
  }

  @Override
  public Integer call() {
    PrivacyEvent event = event();
    PrivacySpent spent;
    if (accountant == Accountant.PLD) {
      if (mechanism != Mechanism.GAUSSIAN) {
        throw arguments.invalid("--accountant pld supports only --mechanism gaussian");
      }
      spent = PldAccountant.epsilon(List.of(event), arguments.delta, discretization);
    } else {
      spent = RdpAccountant.create().compose(event).epsilon(arguments.delta);
    }
    if (arguments.json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("epsilon", spent.epsilon());
      fields.put("delta", spent.delta());
      if (accountant == Accountant.RDP) {
        fields.put("order", spent.order());
      }
      fields.put("accountant", accountant.name().toLowerCase(Locale.ROOT));
      fields.put("mechanism", mechanism.name().toLowerCase(Locale.ROOT));
      Output.json(spec, fields);
    } else if (accountant == Accountant.RDP) {
      spec.commandLine()
          .getOut()
          .printf(
              "epsilon = %s (delta = %s, optimal Renyi order = %s)%n",
              Output.number(spent.epsilon()),
              Output.number(spent.delta()),
              Output.number(spent.order()));
    } else {
      spec.commandLine()
          .getOut()
          .printf(
              "epsilon = %s (delta = %s, PLD accountant, grid %s)%n",
              Output.number(spent.epsilon()),
              Output.number(spent.delta()),
              Output.number(discretization));
    }
    return CommandLine.ExitCode.OK;
  }

  private PrivacyEvent event() {
    double q = arguments.samplingRate;
    long steps = arguments.steps;
    return switch (mechanism) {
      case GAUSSIAN ->
          new PrivacyEvent.SubsampledGaussian(
              q, required(noiseMultiplier, "--noise-multiplier"), steps);
      case DDG ->
          new PrivacyEvent.DistributedDiscreteGaussian(
              q,
              required(l2Sensitivity, "--l2-sensitivity"),
              required(l1Sensitivity, "--l1-sensitivity"),
              required(shareSigma, "--share-sigma"),
              required(shares, "--shares"),
              required(dimension, "--dimension"),
              steps);
      case SKELLAM ->
          new PrivacyEvent.Skellam(
              q,
              required(l2Sensitivity, "--l2-sensitivity"),
              required(l1Sensitivity, "--l1-sensitivity"),
              required(variance, "--variance"),
              steps);
    };
  }

  private <T> T required(T value, String option) {
    if (value == null) {
      throw arguments.invalid(
          "missing option "
              + option
              + " for --mechanism "
              + mechanism.name().toLowerCase(Locale.ROOT));
    }
    return value;
  }

  private double positive(String option, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw arguments.invalid(option + " must be > 0 and finite, got " + value);
    }
    return value;
  }

  private int atLeastOne(String option, int value) {
    if (value < 1) {
      throw arguments.invalid(option + " must be >= 1, got " + value);
    }
    return value;
  }
}
