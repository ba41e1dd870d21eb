package org.cohort.privacy.accounting;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** One privacy-relevant release (or run of identical releases) on a data set. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes(
    @JsonSubTypes.Type(value = PrivacyEvent.SubsampledGaussian.class, name = "subsampled_gaussian"))
public sealed interface PrivacyEvent {

  /** Total Rényi DP of this event at order {@code alpha} (> 1). */
  double rdp(double alpha);

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

    /** Same mechanism, so that two runs can be merged into one event. */
    boolean sameMechanismAs(SubsampledGaussian other) {
      return Double.compare(samplingRate, other.samplingRate) == 0
          && Double.compare(noiseMultiplier, other.noiseMultiplier) == 0;
    }
  }
}
