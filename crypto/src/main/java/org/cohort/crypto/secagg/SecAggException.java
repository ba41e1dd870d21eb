package org.cohort.crypto.secagg;

/**
 * Every way a secure-aggregation round can refuse input. Messages name parameters and participants,
 * never key material, shares or update values. All are unchecked so the state machines stay
 * readable; a refused message leaves the refusing party's state unchanged.
 */
public abstract sealed class SecAggException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SecAggException(String message) {
    super(message);
  }

  /** A parameter combination that is invalid on its own, e.g. threshold above the degree. */
  public static final class InvalidParameters extends SecAggException {
    private static final long serialVersionUID = 1L;

    public InvalidParameters(String message) {
      super(message);
    }
  }

  /**
   * Clip range, weight bound, site count and bit width would let the true sum wrap around 2^bits.
   */
  public static final class SumMayWrap extends SecAggException {
    private static final long serialVersionUID = 1L;

    public SumMayWrap(String message) {
      super(message);
    }
  }

  /** No neighbour graph meets the requested failure probabilities for this number of sites. */
  public static final class InfeasibleGraph extends SecAggException {
    private static final long serialVersionUID = 1L;

    public InfeasibleGraph(String message) {
      super(message);
    }
  }

  /** A key advertisement whose Ed25519 signature does not verify, or whose signer is unknown. */
  public static final class InvalidAdvertSignature extends SecAggException {
    private static final long serialVersionUID = 1L;

    public InvalidAdvertSignature(String message) {
      super(message);
    }
  }

  /** A message for another federation or round, e.g. a replay from an earlier round. */
  public static final class WrongRound extends SecAggException {
    private static final long serialVersionUID = 1L;

    public WrongRound(String message) {
      super(message);
    }
  }

  /** An unmask request that would reveal both the self-mask and the mask key of one site. */
  public static final class ConflictingUnmaskRequest extends SecAggException {
    private static final long serialVersionUID = 1L;

    public ConflictingUnmaskRequest(String message) {
      super(message);
    }
  }

  /** Too few participants remain to finish the round safely; nothing from it may be applied. */
  public static final class RoundAbandoned extends SecAggException {
    private static final long serialVersionUID = 1L;

    public RoundAbandoned(String message) {
      super(message);
    }
  }

  /** An encrypted share that fails AES-GCM authentication (tampered, misrouted or replayed). */
  public static final class ShareDecryptionFailed extends SecAggException {
    private static final long serialVersionUID = 1L;

    public ShareDecryptionFailed(String message) {
      super(message);
    }
  }

  /**
   * A message that is out of phase, duplicated, from an unexpected sender or of the wrong shape.
   */
  public static final class ProtocolViolation extends SecAggException {
    private static final long serialVersionUID = 1L;

    public ProtocolViolation(String message) {
      super(message);
    }
  }

  /** Bytes that are not the canonical encoding of the expected message. */
  public static final class MalformedMessage extends SecAggException {
    private static final long serialVersionUID = 1L;

    public MalformedMessage(String message) {
      super(message);
    }
  }
}
