package org.cohort.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.util.encoders.Hex;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.pki.UntrustedPeerException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignatureTest {
  private static final byte[] MESSAGE =
      "round 7: hospital-a spent epsilon 0.31".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path root;
  static ConsortiumCa ca;
  static StartupKit site;
  static StartupKit foreign;

  @BeforeAll
  static void provision() {
    ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    site = ca.issue(new ParticipantIdentity("hospital-a", Role.SITE), root.resolve("a"), List.of());
    foreign =
        ConsortiumCa.create(root.resolve("other-ca"), "demo")
            .issue(
                new ParticipantIdentity("hospital-a", Role.SITE),
                root.resolve("foreign"),
                List.of());
  }

  @Test
  void signatureVerifiesUnderTheCertifiedKey() throws Exception {
    SigningKey key = SigningKey.load(site);
    VerificationKey verification =
        VerificationKey.fromCertificate(site.signingCertificate(), ca.certificate());
    byte[] signature = key.sign(MESSAGE);
    assertEquals(64, signature.length);
    assertTrue(verification.verify(MESSAGE, signature));
    assertEquals(new ParticipantIdentity("hospital-a", Role.SITE), verification.participant());
    assertEquals(site.identity(), key.owner());
  }

  /**
   * RFC 8032 section 7.1, TEST 2: the BouncyCastle calls SigningKey/VerificationKey make, on the
   * published vector.
   */
  @Test
  void ed25519CallsMatchTheRfc8032TestVector() {
    byte[] secret = hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    byte[] publicKey = hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    byte[] message = hex("72");
    byte[] expected =
        hex(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
    byte[] signature = new byte[SigningKey.SIGNATURE_LENGTH];
    new Ed25519PrivateKeyParameters(secret)
        .sign(Ed25519.Algorithm.Ed25519, null, message, 0, 1, signature, 0);
    assertArrayEquals(expected, signature);
    assertTrue(
        new Ed25519PublicKeyParameters(publicKey)
            .verify(Ed25519.Algorithm.Ed25519, null, message, 0, 1, expected, 0));
  }

  /** Code on JCA keys (e.g. secure aggregation's key adverts) interoperates with these types. */
  @Test
  void signaturesInteroperateWithJcaEd25519() throws Exception {
    VerificationKey verification =
        VerificationKey.fromCertificate(site.signingCertificate(), ca.certificate());
    Signature jcaVerifier = Signature.getInstance("Ed25519", new BouncyCastleProvider());
    jcaVerifier.initVerify(verification.publicKey());
    jcaVerifier.update(MESSAGE);
    assertTrue(jcaVerifier.verify(SigningKey.load(site).sign(MESSAGE)));

    Signature jcaSigner = Signature.getInstance("Ed25519", new BouncyCastleProvider());
    jcaSigner.initSign(Pem.readPrivateKey(site.signingPrivateKeyFile()));
    jcaSigner.update(MESSAGE);
    assertTrue(verification.verify(MESSAGE, jcaSigner.sign()));
  }

  @Test
  void tamperedMessageOrSignatureIsRejected() throws Exception {
    SigningKey key = SigningKey.load(site);
    VerificationKey verification =
        VerificationKey.fromCertificate(site.signingCertificate(), ca.certificate());
    byte[] signature = key.sign(MESSAGE);

    byte[] tamperedMessage = MESSAGE.clone();
    tamperedMessage[tamperedMessage.length - 1] ^= 1;
    assertFalse(verification.verify(tamperedMessage, signature));

    byte[] tamperedSignature = signature.clone();
    tamperedSignature[10] ^= 0x40;
    assertFalse(verification.verify(MESSAGE, tamperedSignature));
    assertFalse(verification.verify(MESSAGE, new byte[12]));
    assertFalse(verification.verify(MESSAGE, null));
  }

  @Test
  void signatureOfAnotherParticipantIsRejected() throws Exception {
    StartupKit other =
        ConsortiumCa.load(ca.directory())
            .issue(new ParticipantIdentity("hospital-b", Role.SITE), root.resolve("b"), List.of());
    VerificationKey a =
        VerificationKey.fromCertificate(site.signingCertificate(), ca.certificate());
    assertFalse(a.verify(MESSAGE, SigningKey.load(other).sign(MESSAGE)));
  }

  @Test
  void signingCertificateFromAnotherCaIsRejected() {
    assertThrows(
        UntrustedPeerException.class,
        () -> VerificationKey.fromCertificate(foreign.signingCertificate(), ca.certificate()));
  }

  @Test
  void tlsCertificateIsNotASigningCertificate() {
    assertThrows(
        UntrustedPeerException.class,
        () -> VerificationKey.fromCertificate(site.tlsCertificate(), ca.certificate()));
  }

  @Test
  void revokedSigningCertificateIsRejectedWhenARevocationListIsGiven(@TempDir Path scratch)
      throws Exception {
    ConsortiumCa own = ConsortiumCa.create(scratch.resolve("ca"), "demo");
    StartupKit kit =
        own.issue(
            new ParticipantIdentity("hospital-r", Role.SITE), scratch.resolve("r"), List.of());
    VerificationKey.fromCertificate(
        kit.signingCertificate(),
        own.certificate(),
        Optional.of(Pem.readCrl(own.revocationListFile())));
    own.revoke("hospital-r");
    assertThrows(
        UntrustedPeerException.class,
        () ->
            VerificationKey.fromCertificate(
                kit.signingCertificate(),
                own.certificate(),
                Optional.of(Pem.readCrl(own.revocationListFile()))));
  }

  @Test
  void signingKeyThatDoesNotMatchItsCertificateDoesNotLoad(@TempDir Path scratch) throws Exception {
    ConsortiumCa own = ConsortiumCa.create(scratch.resolve("ca"), "demo");
    StartupKit a =
        own.issue(
            new ParticipantIdentity("hospital-a", Role.SITE), scratch.resolve("a"), List.of());
    StartupKit b =
        own.issue(
            new ParticipantIdentity("hospital-b", Role.SITE), scratch.resolve("b"), List.of());
    Files.copy(
        b.signingPrivateKeyFile(), a.signingPrivateKeyFile(), StandardCopyOption.REPLACE_EXISTING);
    assertThrows(PkiException.class, () -> SigningKey.load(a));
  }

  @Test
  void toStringNeverRevealsKeyMaterial() throws Exception {
    SigningKey key = SigningKey.load(site);
    String pem = Files.readString(site.signingPrivateKeyFile());
    String base64 = pem.lines().filter(line -> !line.startsWith("-----")).findFirst().orElseThrow();
    byte[] pkcs8 = Base64.getDecoder().decode(base64);
    byte[] seed = Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
    String text = key.toString();
    assertFalse(text.contains(base64.substring(0, 16)));
    assertFalse(text.toLowerCase(Locale.ROOT).contains(Hex.toHexString(seed).substring(0, 16)));
    assertEquals("SigningKey[site:hospital-a]", text);
  }

  private static byte[] hex(String text) {
    return Hex.decode(text);
  }
}
