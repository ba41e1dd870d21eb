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

  /**
   * The survivor-set consistency check failed: the site reveals nothing for this unmask request.
   */
  public static final class ConsistencyCheckFailed extends SecAggException {
    private static final long serialVersionUID = 1L;

    /** Which check refused the request. */
    public enum Reason {
      /** Fewer than t valid signatures from distinct neighbours over the set the site signed. */
      TOO_FEW_SIGNATURES,
      /** A relayed signature is from a site that is not this site's neighbour. */
      NOT_A_NEIGHBOUR,
      /** A relayed signature is from a site outside the signed survivor set. */
      NOT_A_SURVIVOR,
      /** Two relayed signatures name the same signer. */
      DUPLICATE_SIGNER,
      /**
       * A relayed signature does not verify over the set this site signed (forged or other set).
       */
      INVALID_SIGNATURE,
      /** A second, different survivor set in the same round: a site signs only one. */
      SECOND_SURVIVOR_SET,
      /** The unmask request's survivors and dropped sites are not what the signed set implies. */
      REQUEST_DIFFERS_FROM_SIGNED_SET
    }

    private final Reason reason;

    public ConsistencyCheckFailed(Reason reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
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
