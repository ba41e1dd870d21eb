package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class MaskingPrimitivesTest {
  private static final ParticipantId A = ParticipantId.of("hospital-a");
  private static final ParticipantId B = ParticipantId.of("hospital-b");

  private static byte[] seed(long value) {
    byte[] seed = new byte[32];
    RoundHarness.deterministic(value).nextBytes(seed);
    return seed;
  }

  @Test
  void chunkedMaskEqualsOneShotAesCtrKeystream() throws Exception {
    byte[] seed = seed(1);
    int length = 3 * Keystream.CHUNK_WORDS + 5; // crosses chunk boundaries, ends mid-chunk
    int[] acc = new int[length];
    Keystream.addMask(seed, acc, +1);

    Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
    cipher.init(
        Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
    int[] expected = new int[length];
    ByteBuffer.wrap(cipher.doFinal(new byte[length * 4]))
        .order(ByteOrder.nativeOrder())
        .asIntBuffer()
        .get(expected);
    assertArrayEquals(expected, acc);
  }

  @Test
  void masksInterleavedChunkByChunkEqualMasksAddedOneByOne() {
    int length = 5 * Keystream.CHUNK_WORDS + 3; // several chunks, the last one ragged
    int[] sequential = new int[length];
    Keystream.addMask(seed(20), sequential, +1);
    Keystream.addMask(seed(21), sequential, -1);
    Keystream.addMask(seed(22), sequential, +1);
    int[] interleaved = new int[length];
    Keystream.addMasks(
        java.util.List.of(
            new Keystream.Mask(seed(20), +1),
            new Keystream.Mask(seed(21), -1),
            new Keystream.Mask(seed(22), +1)),
        interleaved);
    assertArrayEquals(sequential, interleaved);
  }

  @Test
  void addingAndSubtractingAMaskRestoresTheInputModulo2To32() {
    int[] input = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 12345};
    int[] acc = input.clone();
    Keystream.addMask(seed(2), acc, +1);
    assertFalse(Arrays.equals(input, acc));
    Keystream.addMask(seed(2), acc, -1);
    assertArrayEquals(input, acc);
  }

  @Test
  void pairMaskSeedsAgreeOnBothSidesAndAreBoundToTheRound() {
    AgreementKeyPair a = AgreementKeyPair.generate(RoundHarness.deterministic(3));
    AgreementKeyPair b = AgreementKeyPair.generate(RoundHarness.deterministic(4));
    byte[] fromA = SecAggKdf.pairMaskSeed(a.agree(b.publicKey()), "fed", 7, A, B);
    byte[] fromB = SecAggKdf.pairMaskSeed(b.agree(a.publicKey()), "fed", 7, B, A);
    assertArrayEquals(fromA, fromB);
    assertFalse(
        Arrays.equals(fromA, SecAggKdf.pairMaskSeed(a.agree(b.publicKey()), "fed", 8, A, B)));
    assertFalse(
        Arrays.equals(fromA, SecAggKdf.pairMaskSeed(a.agree(b.publicKey()), "other", 7, A, B)));
  }

  @Test
  void reconstructedMaskKeyRebuildsTheSameAgreement() {
    AgreementKeyPair a = AgreementKeyPair.generate(RoundHarness.deterministic(5));
    AgreementKeyPair b = AgreementKeyPair.generate(RoundHarness.deterministic(6));
    AgreementKeyPair rebuilt = AgreementKeyPair.fromPrivateKey(a.privateKeyBytes());
    assertEquals(a.publicKey(), rebuilt.publicKey());
    assertArrayEquals(a.agree(b.publicKey()), rebuilt.agree(b.publicKey()));
  }

  @Test
  void lowOrderPeerKeyIsRefused() {
    AgreementKeyPair a = AgreementKeyPair.generate(RoundHarness.deterministic(7));
    assertThrows(
        SecAggException.ProtocolViolation.class,
        () -> a.agree(new AgreementPublicKey(new byte[32])));
  }

  @Test
  void shareKeysDifferByDirection() {
    AgreementKeyPair a = AgreementKeyPair.generate(RoundHarness.deterministic(8));
    AgreementKeyPair b = AgreementKeyPair.generate(RoundHarness.deterministic(9));
    byte[] shared = a.agree(b.publicKey());
    assertFalse(
        Arrays.equals(
            SecAggKdf.shareKey(shared, "fed", 1, A, B),
            SecAggKdf.shareKey(shared, "fed", 1, B, A)));
  }

  @Test
  void sealedShareOpensOnlyWithTheSameKeyAndAssociatedData() {
    byte[] key = seed(10);
    byte[] plaintext = "share bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] aad = EncryptedShare.associatedData("fed", 1, A, B);
    byte[] sealed = ShareCipher.seal(key, plaintext, aad, RoundHarness.deterministic(11));
    assertArrayEquals(plaintext, ShareCipher.open(key, sealed, aad));

    byte[] tampered = sealed.clone();
    tampered[ShareCipher.NONCE_BYTES] ^= 1;
    assertThrows(
        SecAggException.ShareDecryptionFailed.class, () -> ShareCipher.open(key, tampered, aad));
    byte[] otherRound = EncryptedShare.associatedData("fed", 2, A, B);
    assertThrows(
        SecAggException.ShareDecryptionFailed.class,
        () -> ShareCipher.open(key, sealed, otherRound));
    byte[] swapped = EncryptedShare.associatedData("fed", 1, B, A);
    assertThrows(
        SecAggException.ShareDecryptionFailed.class, () -> ShareCipher.open(key, sealed, swapped));
    assertThrows(
        SecAggException.ShareDecryptionFailed.class, () -> ShareCipher.open(key, new byte[5], aad));
  }
}
