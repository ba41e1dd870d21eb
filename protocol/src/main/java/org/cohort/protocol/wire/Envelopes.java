package org.cohort.protocol.wire;

import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Error;
import org.cohort.protocol.v1.ErrorCode;

/** Builders for envelopes stamped with this build's protocol version. */
public final class Envelopes {

  private Envelopes() {}

  /** A builder with version, federation and round already set; add exactly one body. */
  public static Envelope.Builder stamped(String federationId, long round) {
    return Envelope.newBuilder()
        .setProtocolMajor(ProtocolVersion.MAJOR)
        .setProtocolMinor(ProtocolVersion.MINOR)
        .setFederationId(federationId)
        .setRound(round);
  }

  public static Envelope error(
      String federationId, long round, ErrorCode code, String detail, boolean fatal) {
    return stamped(federationId, round)
        .setError(Error.newBuilder().setCode(code).setDetail(detail).setFatal(fatal))
        .build();
  }
}
