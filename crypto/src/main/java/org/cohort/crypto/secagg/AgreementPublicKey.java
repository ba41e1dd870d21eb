package org.cohort.crypto.secagg;

import java.security.MessageDigest;
import java.util.HexFormat;

/** A raw 32-byte X25519 public key as advertised by a participant. */
public final class AgreementPublicKey {
  static final int BYTES = 32;
  private final byte[] encoded;

  public AgreementPublicKey(byte[] encoded) {
    if (encoded == null || encoded.length != BYTES) {
      throw new SecAggException.InvalidParameters("X25519 public key must be 32 bytes");
    }
    this.encoded = encoded.clone();
  }

  public byte[] encoded() {
    return encoded.clone();
  }

  byte[] encodedView() {
    return encoded;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AgreementPublicKey that && MessageDigest.isEqual(encoded, that.encoded);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return "X25519:" + HexFormat.of().formatHex(encoded, 0, 4) + "…";
  }
}
