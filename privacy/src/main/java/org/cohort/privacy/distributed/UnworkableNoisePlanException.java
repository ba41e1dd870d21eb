package org.cohort.privacy.distributed;

/**
 * Parameters for which no granularity γ gives both an improbable modular wrap and an L2 sensitivity
 * that the integer grid does not inflate beyond {@link
 * DistributedNoisePlan#MAX_SENSITIVITY_INFLATION}. The message says which constraint failed and
 * what would relax it.
 */
public final class UnworkableNoisePlanException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  UnworkableNoisePlanException(String message) {
    super(message);
  }
}
