package org.cohort.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * A participant's two round keys — for encrypting shares and for pairwise masks — signed with its
 * long-term Ed25519 key. The signature covers a domain label, federation, round, participant and
 * both keys, so the coordinator can neither swap keys nor replay an advert into another round.
 * Encoded size: 2 + 4+|fed| + 8 + 4+|id| + 32 + 32 + 4+64 bytes (≈ 170 bytes).
 */
public record KeyAdvert(
    String federationId,
    long round,
    ParticipantId participant,
    AgreementPublicKey shareKey,
    AgreementPublicKey maskKey,
    byte[] signature)
    implements SecAggMessage {
  private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();
  private static final String SIGNED_LABEL = "cohort/secagg/v1/key-advert";
  static final int MAX_SIGNATURE_BYTES = 128;

  public KeyAdvert {
    signature = signature.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  static KeyAdvert sign(
      String federationId,
      long round,
      ParticipantId participant,
      AgreementPublicKey shareKey,
      AgreementPublicKey maskKey,
      PrivateKey signingKey) {
    try {
      Signature signer = Signature.getInstance("Ed25519", BOUNCY_CASTLE);
      signer.initSign(signingKey);
      signer.update(signedBytes(federationId, round, participant, shareKey, maskKey));
      return new KeyAdvert(federationId, round, participant, shareKey, maskKey, signer.sign());
    } catch (GeneralSecurityException e) {
      throw new SecAggException.InvalidParameters(
          "signing key is not a usable Ed25519 private key");
    }
  }

  /**
   * Throws {@link SecAggException.InvalidAdvertSignature} unless the participant signed exactly
   * this.
   */
  public void verify(VerificationKeys keys) {
    PublicKey key = keys.verificationKeyOf(participant);
    boolean valid;
    try {
      Signature verifier = Signature.getInstance("Ed25519", BOUNCY_CASTLE);
      verifier.initVerify(key);
      verifier.update(signedBytes(federationId, round, participant, shareKey, maskKey));
      valid = verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      valid = false;
    }
    if (!valid) {
      throw new SecAggException.InvalidAdvertSignature(
          "key advertisement of "
              + participant
              + " for round "
              + round
              + " has an invalid signature");
    }
  }

  private static byte[] signedBytes(
      String federationId,
      long round,
      ParticipantId participant,
      AgreementPublicKey shareKey,
      AgreementPublicKey maskKey) {
    return SecAggKdf.context(SIGNED_LABEL, federationId, round)
        .id(participant)
        .raw(shareKey.encodedView())
        .raw(maskKey.encodedView())
        .toByteArray();
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out = CanonicalWriter.message(MessageType.KEY_ADVERT, 200);
    writeBody(out);
    return out.toByteArray();
  }

  void writeBody(CanonicalWriter out) {
    out.string(federationId)
        .i64(round)
        .id(participant)
        .raw(shareKey.encodedView())
        .raw(maskKey.encodedView())
        .bytes(signature);
  }

  static KeyAdvert readBody(CanonicalReader in) {
    return new KeyAdvert(
        in.string(1024),
        in.i64(),
        in.id(),
        new AgreementPublicKey(in.raw(AgreementPublicKey.BYTES)),
        new AgreementPublicKey(in.raw(AgreementPublicKey.BYTES)),
        in.bytes(MAX_SIGNATURE_BYTES));
  }

  public static KeyAdvert decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.KEY_ADVERT);
    KeyAdvert advert = readBody(in);
    in.expectEnd();
    return advert;
  }
}
