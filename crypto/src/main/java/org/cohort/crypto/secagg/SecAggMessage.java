package org.cohort.crypto.secagg;

/**
 * A protocol message. Every message names its federation and round, so a message from another round
 * is refused ({@link SecAggException.WrongRound}) rather than misapplied, and has one canonical
 * byte encoding (the transport carries these bytes in a protobuf {@code bytes} field).
 */
public sealed interface SecAggMessage
    permits RoundSetup,
        KeyAdvert,
        AdvertBundle,
        ShareBundle,
        ShareDelivery,
        MaskedInput,
        SurvivorSet,
        SurvivorSignature,
        UnmaskRequest,
        UnmaskResponse {
  String federationId();

  long round();

  byte[] encode();

  /** Refuses the message unless it belongs to the given round. */
  default void requireRound(String expectedFederationId, long expectedRound) {
    if (!federationId().equals(expectedFederationId) || round() != expectedRound) {
      throw new SecAggException.WrongRound(
          String.format(
              "%s is for %s round %d, expected %s round %d",
              getClass().getSimpleName(),
              federationId(),
              round(),
              expectedFederationId,
              expectedRound));
    }
  }
}
