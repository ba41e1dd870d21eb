package org.cohort.crypto.secagg;

import java.math.BigInteger;

/** One point (x, y) of a Shamir polynomial; x is the holder's 1-based index in the round. */
public record ShamirShare(int x, BigInteger y) {
  public ShamirShare {
    if (x <= 0) {
      throw new SecAggException.InvalidParameters("share x must be positive");
    }
    if (y == null || y.signum() < 0) {
      throw new SecAggException.InvalidParameters("share y must be a field element");
    }
  }

  @Override
  public String toString() {
    return "ShamirShare[x=" + x + ", y=<redacted>]";
  }
}
