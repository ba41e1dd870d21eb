package org.cohort.crypto.sign;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.StartupKit;

/**
 * A participant's Ed25519 signing key (RFC 8032, pure Ed25519), for secure-aggregation key adverts
 * and privacy-ledger records. Others verify with the matching {@link VerificationKey} built from
 * the participant's signing certificate. Thread-safe.
 */
public final class SigningKey {
  public static final int SIGNATURE_LENGTH = Ed25519.SIGNATURE_SIZE;

  private final Ed25519PrivateKeyParameters key;
  private final ParticipantIdentity owner;

  private SigningKey(Ed25519PrivateKeyParameters key, ParticipantIdentity owner) {
    this.key = key;
    this.owner = owner;
  }

  /** The kit's signing key; fails if it does not match the kit's signing certificate. */
  public static SigningKey load(StartupKit kit) {
    Objects.requireNonNull(kit, "kit");
    Ed25519PrivateKeyParameters key = readEd25519(kit.signingPrivateKeyFile());
    byte[] certified =
        SubjectPublicKeyInfo.getInstance(kit.signingCertificate().getPublicKey().getEncoded())
            .getPublicKeyData()
            .getOctets();
    if (!MessageDigest.isEqual(certified, key.generatePublicKey().getEncoded())) {
      throw new PkiException(
          kit.signingPrivateKeyFile() + " does not match the kit's signing certificate");
    }
    return new SigningKey(key, kit.identity());
  }

  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    byte[] signature = new byte[SIGNATURE_LENGTH];
    key.sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
    return signature;
  }

  /** Whose key this is (from the kit's certificate). */
  public ParticipantIdentity owner() {
    return owner;
  }

  @Override
  public String toString() {
    return "SigningKey[" + owner + "]";
  }

  private static Ed25519PrivateKeyParameters readEd25519(Path file) {
    AsymmetricKeyParameter key;
    try {
      key = PrivateKeyFactory.createKey(Pem.readPrivateKeyInfo(file));
    } catch (IOException | RuntimeException e) {
      // The cause is dropped on purpose: parser messages may quote the encoded key.
      throw new PkiException("unsupported signing key in " + file);
    }
    if (key instanceof Ed25519PrivateKeyParameters ed25519) {
      return ed25519;
    }
    throw new PkiException("signing key in " + file + " is not an Ed25519 key");
  }
}
