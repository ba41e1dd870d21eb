package org.cohort.crypto.secagg;

/**
 * The sender's self-mask-seed share and mask-key share for one recipient, AES-GCM sealed under a
 * key only the two share (associated data: federation, round, sender, recipient). Sealed size: 12
 * nonce + 2·33 share bytes + 16 tag = 94 bytes.
 */
public record EncryptedShare(ParticipantId sender, ParticipantId recipient, byte[] sealed) {
  static final int PLAINTEXT_BYTES = 2 * ShamirScheme.SEED_SHARE_BYTES;
  static final int SEALED_BYTES = ShareCipher.NONCE_BYTES + PLAINTEXT_BYTES + ShareCipher.TAG_BYTES;

  public EncryptedShare {
    sealed = sealed.clone();
  }

  @Override
  public byte[] sealed() {
    return sealed.clone();
  }

  byte[] sealedView() {
    return sealed;
  }

  void writeTo(CanonicalWriter out) {
    out.id(sender).id(recipient).bytes(sealed);
  }

  static EncryptedShare readFrom(CanonicalReader in) {
    return new EncryptedShare(in.id(), in.id(), in.bytes(SEALED_BYTES));
  }

  static byte[] associatedData(
      String federationId, long round, ParticipantId sender, ParticipantId recipient) {
    return SecAggKdf.context("cohort/secagg/v1/share-aad", federationId, round)
        .id(sender)
        .id(recipient)
        .toByteArray();
  }
}
