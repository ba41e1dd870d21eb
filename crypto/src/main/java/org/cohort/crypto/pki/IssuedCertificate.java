package org.cohort.crypto.pki;

import java.math.BigInteger;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** One line of the CA's index: a certificate the CA issued and, once revoked, when. */
public record IssuedCertificate(
    BigInteger serial,
    ParticipantIdentity participant,
    Purpose purpose,
    Instant notAfter,
    Optional<Instant> revokedAt) {

  /** What a participant's certificate is for; each kit holds one of each. */
  public enum Purpose {
    TLS,
    SIGNING
  }

  public IssuedCertificate {
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(participant, "participant");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(revokedAt, "revokedAt");
  }

  public boolean revoked() {
    return revokedAt.isPresent();
  }

  IssuedCertificate revokedAt(Instant when) {
    return new IssuedCertificate(serial, participant, purpose, notAfter, Optional.of(when));
  }
}
