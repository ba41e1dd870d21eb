package org.cohort.privacy.accounting;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** One privacy-relevant release (or run of identical releases) on a data set. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = PrivacyEvent.SubsampledGaussian.class, name = "subsampled_gaussian"),
  @JsonSubTypes.Type(
      value = PrivacyEvent.DistributedDiscreteGaussian.class,
      name = "distributed_discrete_gaussian"),
  @JsonSubTypes.Type(value = PrivacyEvent.Skellam.class, name = "skellam")
})
public sealed interface PrivacyEvent {

  /** Total Rényi DP of this event at order {@code alpha} (> 1). */
  double rdp(double alpha);

  /** How many identical releases this event stands for. */
  long steps();

  /** The same mechanism with another number of releases (two runs merge into one event). */
  PrivacyEvent withSteps(long steps);

  /**
   * {@code steps} releases of the Gaussian mechanism with noise multiplier σ (noise standard
   * deviation / L2 sensitivity), each on a Poisson sample that includes every record with
   * probability q. q = 1 is the plain Gaussian mechanism.
   */
  record SubsampledGaussian(
      @JsonProperty("sampling_rate") double samplingRate,
      @JsonProperty("noise_multiplier") double noiseMultiplier,
      @JsonProperty("steps") long steps)
      implements PrivacyEvent {

    public SubsampledGaussian {
      InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
      InvalidPrivacyParameterException.requireNoiseMultiplier(noiseMultiplier);
      InvalidPrivacyParameterException.requireSteps(steps);
    }

    /** The plain (not subsampled) Gaussian mechanism, {@code steps} times. */
    public static SubsampledGaussian gaussian(double noiseMultiplier, long steps) {
      return new SubsampledGaussian(1.0, noiseMultiplier, steps);
    }

    @Override
    public double rdp(double alpha) {
      return steps * SubsampledGaussianRdp.perStep(samplingRate, noiseMultiplier, alpha);
    }

    @Override
    public SubsampledGaussian withSteps(long steps) {
      return new SubsampledGaussian(samplingRate, noiseMultiplier, steps);
    }
  }

  /**
   * {@code steps} rounds of the distributed discrete Gaussian mechanism, each on a Poisson sample
   * of records with probability q: each of {@code shares} sites adds independent discrete Gaussian
   * noise N_Z(0, shareSigma²) to its integer vector of length {@code dimension} and only the sum is
   * released (secure aggregation). One record changes one site's vector by at most {@code
   * l2Sensitivity} in L2 and {@code l1Sensitivity} in L1 norm. All quantities are in integer
   * (scaled and rounded) units; the rounding's effect on the sensitivities is the caller's to
   * include.
   *
   * <p>RDP per round, with n = shares, σ = shareSigma, d = dimension, a = Δ₂/(√n σ), b = Δ₁/(√n σ)
   * and τ = 10 Σ_{k=1}^{n-1} exp(-2π²σ² k/(k+1)): ε(α) = min(α a²/2 + τd, (α/2)(a² + 2bτ + τ²d),
   * (α/2)(a + τ√d)²). This is Proposition 14 / Eq. 17 of Kairouz, Liu, Steinke, "The Distributed
   * Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation" (ICML 2021,
   * arXiv:2102.06387), in the form the authors' accounting code evaluates it
   * (google-research/federated, distributed_dp/accounting_utils.py, compute_rdp_dgaussian); their
   * Theorem 1 (½ε²-concentrated DP) follows from its first and third terms with α ≥ 1, so this is
   * never looser. It needs σ ≥ 1/2. With q < 1 the per-round curve is amplified by {@link
   * PoissonSubsampledRdp}; fractional orders use the bound at ⌈α⌉ (RDP is non-decreasing in α). For
   * n = 1, τ = 0 and ε(α) = α Δ₂²/(2σ²), the discrete Gaussian of Canonne, Kamath, Steinke.
   */
  record DistributedDiscreteGaussian(
      @JsonProperty("sampling_rate") double samplingRate,
      @JsonProperty("l2_sensitivity") double l2Sensitivity,
      @JsonProperty("l1_sensitivity") double l1Sensitivity,
      @JsonProperty("share_sigma") double shareSigma,
      @JsonProperty("shares") int shares,
      @JsonProperty("dimension") int dimension,
      @JsonProperty("steps") long steps)
      implements PrivacyEvent {

    public DistributedDiscreteGaussian {
      InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
      InvalidPrivacyParameterException.requireSensitivity("L2 sensitivity", l2Sensitivity);
      InvalidPrivacyParameterException.requireSensitivity("L1 sensitivity", l1Sensitivity);
      if (!(shareSigma >= 0.5) || Double.isInfinite(shareSigma)) {
        throw new InvalidPrivacyParameterException(
            "share sigma must be >= 0.5 and finite, got " + shareSigma);
      }
      InvalidPrivacyParameterException.requireAtLeastOne("shares", shares);
      InvalidPrivacyParameterException.requireAtLeastOne("dimension", dimension);
      InvalidPrivacyParameterException.requireSteps(steps);
    }

    @Override
    public double rdp(double alpha) {
      InvalidPrivacyParameterException.requireOrder(alpha);
      DiscreteNoiseRdp.DistributedDiscreteGaussianRound round =
          DiscreteNoiseRdp.distributedDiscreteGaussian(
              l2Sensitivity, l1Sensitivity, shareSigma, shares, dimension);
      return steps * PoissonSubsampledRdp.perStep(samplingRate, round::rdp, alpha);
    }

    @Override
    public DistributedDiscreteGaussian withSteps(long steps) {
      return new DistributedDiscreteGaussian(
          samplingRate, l2Sensitivity, l1Sensitivity, shareSigma, shares, dimension, steps);
    }
  }

  /**
   * {@code steps} rounds of the (distributed) Skellam mechanism, each on a Poisson sample of
   * records with probability q: the released integer sum carries symmetric Skellam noise of total
   * per-coordinate variance {@code variance} (Sk(λ, λ) = Poisson(λ) - Poisson(λ) has variance 2λ;
   * the sum of the sites' shares is again Skellam with the variances added). Sensitivities are in
   * integer units as for {@link DistributedDiscreteGaussian}.
   *
   * <p>RDP per round, with V = variance: ε(α) = α Δ₂²/(2V) + min(((2α - 1)Δ₂² + 6Δ₁)/(4V²),
   * 3Δ₁/(2V)) at integer α > 1: the multi-dimensional Skellam RDP bound of Agarwal, Kairouz, Liu,
   * "The Skellam Mechanism for Differentially Private Federated Learning" (NeurIPS 2021,
   * arXiv:2110.04995), written in the variance as the authors' code evaluates it
   * (google-research/federated, distributed_dp/accounting_utils.py, _skellam_rdp, with central_var
   * = V). The paper parametrises Skellam noise by μ with variance 2μ; this record takes the
   * variance so that the two cannot be confused. Fractional orders use ⌈α⌉; q < 1 goes through
   * {@link PoissonSubsampledRdp}.
   */
  record Skellam(
      @JsonProperty("sampling_rate") double samplingRate,
      @JsonProperty("l2_sensitivity") double l2Sensitivity,
      @JsonProperty("l1_sensitivity") double l1Sensitivity,
      @JsonProperty("variance") double variance,
      @JsonProperty("steps") long steps)
      implements PrivacyEvent {

    public Skellam {
      InvalidPrivacyParameterException.requireSamplingRate(samplingRate);
      InvalidPrivacyParameterException.requireSensitivity("L2 sensitivity", l2Sensitivity);
      InvalidPrivacyParameterException.requireSensitivity("L1 sensitivity", l1Sensitivity);
      if (!(variance > 0) || Double.isInfinite(variance)) {
        throw new InvalidPrivacyParameterException(
            "Skellam variance must be > 0 and finite, got " + variance);
      }
      InvalidPrivacyParameterException.requireSteps(steps);
    }

    @Override
    public double rdp(double alpha) {
      InvalidPrivacyParameterException.requireOrder(alpha);
      return steps
          * PoissonSubsampledRdp.perStep(
              samplingRate,
              order -> DiscreteNoiseRdp.skellam(l2Sensitivity, l1Sensitivity, variance, order),
              alpha);
    }

    @Override
    public Skellam withSteps(long steps) {
      return new Skellam(samplingRate, l2Sensitivity, l1Sensitivity, variance, steps);
    }
  }
}
