package org.cohort.crypto.secagg;

import java.security.PublicKey;

/**
 * Resolves a participant's long-term Ed25519 verification key, e.g. from its signing certificate
 * after checking it against the consortium CA. Implementations throw {@link
 * SecAggException.InvalidAdvertSignature} for participants they do not know.
 */
@FunctionalInterface
public interface VerificationKeys {
  PublicKey verificationKeyOf(ParticipantId participant);
}
