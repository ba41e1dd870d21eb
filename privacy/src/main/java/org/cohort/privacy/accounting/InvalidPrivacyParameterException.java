package org.cohort.privacy.accounting;

/** A privacy parameter is outside its mathematical domain; the message names the parameter. */
public final class InvalidPrivacyParameterException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidPrivacyParameterException(String message) {
    super(message);
  }

  static double requireSamplingRate(double q) {
    if (!(q > 0 && q <= 1)) {
      throw new InvalidPrivacyParameterException("sampling rate must be in (0, 1], got " + q);
    }
    return q;
  }

  static double requireNoiseMultiplier(double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new InvalidPrivacyParameterException(
          "noise multiplier must be > 0 and finite, got " + sigma);
    }
    return sigma;
  }

  static double requireDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new InvalidPrivacyParameterException("delta must be in (0, 1), got " + delta);
    }
    return delta;
  }

  static double requireEpsilon(double epsilon) {
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new InvalidPrivacyParameterException("epsilon must be >= 0 and finite, got " + epsilon);
    }
    return epsilon;
  }

  static long requireSteps(long steps) {
    if (steps < 1) {
      throw new InvalidPrivacyParameterException("steps must be >= 1, got " + steps);
    }
    return steps;
  }

  static double requireSensitivity(String name, double sensitivity) {
    if (!(sensitivity > 0) || Double.isInfinite(sensitivity)) {
      throw new InvalidPrivacyParameterException(
          name + " must be > 0 and finite, got " + sensitivity);
    }
    return sensitivity;
  }

  static int requireAtLeastOne(String name, int value) {
    if (value < 1) {
      throw new InvalidPrivacyParameterException(name + " must be >= 1, got " + value);
    }
    return value;
  }

  static double requireOrder(double order) {
    if (!(order > 1)) {
      throw new InvalidPrivacyParameterException("Renyi order must be > 1, got " + order);
    }
    return order;
  }
}
