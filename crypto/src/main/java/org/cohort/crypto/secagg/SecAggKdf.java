package org.cohort.crypto.secagg;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA256 derivations of the protocol. Every derived key is bound to federation, round and the
 * ordered pair of participants, so a key (and so a mask or a ciphertext) never repeats across
 * rounds or pairs.
 */
final class SecAggKdf {
  static final int KEY_BYTES = 32;
  private static final String PAIR_MASK_LABEL = "cohort/secagg/v1/pair-mask";
  private static final String SHARE_KEY_LABEL = "cohort/secagg/v1/share-key";
  private static final String GRAPH_LABEL = "cohort/secagg/v1/graph";

  private SecAggKdf() {}

  /** Seed of the pairwise mask between a and b; symmetric in a and b. */
  static byte[] pairMaskSeed(
      byte[] sharedSecret, String federationId, long round, ParticipantId a, ParticipantId b) {
    ParticipantId low = a.compareTo(b) < 0 ? a : b;
    ParticipantId high = low == a ? b : a;
    return derive(
        sharedSecret, context(PAIR_MASK_LABEL, federationId, round).id(low).id(high).toByteArray());
  }

  /** AES-GCM key for shares from {@code sender} to {@code recipient} (one key per direction). */
  static byte[] shareKey(
      byte[] sharedSecret,
      String federationId,
      long round,
      ParticipantId sender,
      ParticipantId recipient) {
    return derive(
        sharedSecret,
        context(SHARE_KEY_LABEL, federationId, round).id(sender).id(recipient).toByteArray());
  }

  /** Key of the PRG that lays out the public neighbour graph. */
  static byte[] graphKey(byte[] publicSeed) {
    return derive(publicSeed, new CanonicalWriter(32).string(GRAPH_LABEL).toByteArray());
  }

  static CanonicalWriter context(String label, String federationId, long round) {
    return new CanonicalWriter(128).string(label).string(federationId).i64(round);
  }

  private static byte[] derive(byte[] inputKeyMaterial, byte[] info) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(inputKeyMaterial, null, info));
    byte[] out = new byte[KEY_BYTES];
    hkdf.generateBytes(out, 0, KEY_BYTES);
    return out;
  }
}
