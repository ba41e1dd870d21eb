package org.cohort.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Survivor → coordinator, and relayed by the coordinator to the signer's neighbours inside their
 * {@link UnmaskRequest}: the signer's Ed25519 signature (its kit's signing key, the one that signed
 * its key advert) over one {@link SurvivorSet}. The signature does not carry the set: a verifier
 * checks it against the set it signed itself, so a signature over any other set fails. Encoded size
 * ≈ 22 + |fed| + |id| + 64 bytes.
 */
public record SurvivorSignature(
    String federationId, long round, ParticipantId signer, byte[] signature)
    implements SecAggMessage {
  private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();

  public SurvivorSignature {
    signature = signature.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  static SurvivorSignature sign(SurvivorSet set, ParticipantId signer, PrivateKey signingKey) {
    try {
      Signature ed25519 = Signature.getInstance("Ed25519", BOUNCY_CASTLE);
      ed25519.initSign(signingKey);
      ed25519.update(set.signedBytes());
      return new SurvivorSignature(set.federationId(), set.round(), signer, ed25519.sign());
    } catch (GeneralSecurityException e) {
      throw new SecAggException.InvalidParameters(
          "signing key is not a usable Ed25519 private key");
    }
  }

  /** Whether {@link #signer} signed exactly {@code set}; unknown signers do not verify. */
  boolean verifies(SurvivorSet set, VerificationKeys keys) {
    try {
      PublicKey key = keys.verificationKeyOf(signer);
      Signature ed25519 = Signature.getInstance("Ed25519", BOUNCY_CASTLE);
      ed25519.initVerify(key);
      ed25519.update(set.signedBytes());
      return ed25519.verify(signature);
    } catch (GeneralSecurityException
        | IllegalArgumentException
        | SecAggException.InvalidAdvertSignature e) {
      return false;
    }
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out = CanonicalWriter.message(MessageType.SURVIVOR_SIGNATURE, 128);
    writeBody(out);
    return out.toByteArray();
  }

  void writeBody(CanonicalWriter out) {
    out.string(federationId).i64(round).id(signer).bytes(signature);
  }

  static SurvivorSignature readBody(CanonicalReader in) {
    return new SurvivorSignature(
        in.string(1024), in.i64(), in.id(), in.bytes(KeyAdvert.MAX_SIGNATURE_BYTES));
  }

  public static SurvivorSignature decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.SURVIVOR_SIGNATURE);
    SurvivorSignature signature = readBody(in);
    in.expectEnd();
    return signature;
  }
}
