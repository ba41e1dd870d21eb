package org.cohort.crypto.secagg;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * One site's side of one secure-aggregation round (Bonawitz et al. 2017, with the neighbour graph
 * of Bell et al. 2020). Use each instance for one round, calling in this order:
 *
 * <pre>
 *   KeyAdvert     advertiseKeys()                         CREATED          → KEYS_ADVERTISED
 *   ShareBundle   shareKeys(AdvertBundle)                 KEYS_ADVERTISED  → SHARES_SENT
 *   void          receiveShares(ShareDelivery)            SHARES_SENT      → SHARES_RECEIVED
 *   MaskedInput   maskedInput(float[] update, long weight[, long[] counts]) SHARES_RECEIVED → INPUT_SENT
 *   UnmaskResponse unmaskResponse(UnmaskRequest)          INPUT_SENT       → FINISHED
 * </pre>
 *
 * A call out of order, or a message that fails a check, throws a {@link SecAggException} and leaves
 * the phase unchanged. The site answers at most one unmask request per round and never reveals both
 * the self-mask share and the mask-key share of the same site. Not thread-safe.
 */
public final class SecAggClient {
  public enum Phase {
    CREATED,
    KEYS_ADVERTISED,
    SHARES_SENT,
    SHARES_RECEIVED,
    INPUT_SENT,
    FINISHED
  }

  private final RoundSetup setup;
  private final SecAggParameters parameters;
  private final ParticipantId self;
  private final int selfIndex;
  private final Map<ParticipantId, Integer> indices;
  private final NeighbourGraph graph;
  private final PrivateKey signingKey;
  private final VerificationKeys verificationKeys;
  private final SecureRandom random;
  private final ShamirScheme shamir;

  private Phase phase = Phase.CREATED;
  private AgreementKeyPair shareKeyPair;
  private AgreementKeyPair maskKeyPair;
  private AgreementPublicKey[] neighbourShareKeys;

  /** X25519 secrets with each neighbour's share key, kept from sealing to open the replies. */
  private byte[][] shareSecrets;

  private AgreementPublicKey[] neighbourMaskKeys;
  private byte[] selfMaskSeed;

  /**
   * Shares this site holds, by owner index; non-null exactly for neighbours that shared (U2 ∩ N).
   */
  private ShamirShare[] heldSelfMaskShares;

  private ShamirShare[] heldMaskKeyShares;

  public SecAggClient(
      RoundSetup setup,
      ParticipantId self,
      PrivateKey signingKey,
      VerificationKeys verificationKeys,
      SecureRandom random) {
    this.setup = setup;
    this.parameters = setup.parameters();
    this.self = self;
    this.indices = setup.indexMap();
    Integer index = indices.get(self);
    if (index == null) {
      throw new SecAggException.InvalidParameters(
          self + " is not a participant of round " + setup.round());
    }
    this.selfIndex = index;
    this.graph = setup.graph();
    this.signingKey = signingKey;
    this.verificationKeys = verificationKeys;
    this.random = random;
    this.shamir = ShamirScheme.forSeeds(parameters.graph().threshold());
  }

  public Phase phase() {
    return phase;
  }

  public KeyAdvert advertiseKeys() {
    requirePhase(Phase.CREATED);
    AgreementKeyPair shares = AgreementKeyPair.generate(random);
    AgreementKeyPair masks = AgreementKeyPair.generate(random);
    KeyAdvert advert =
        KeyAdvert.sign(
            setup.federationId(),
            setup.round(),
            self,
            shares.publicKey(),
            masks.publicKey(),
            signingKey);
    shareKeyPair = shares;
    maskKeyPair = masks;
    phase = Phase.KEYS_ADVERTISED;
    return advert;
  }

  /**
   * Verifies the neighbours' adverts and Shamir-shares this site's self-mask seed and mask key
   * among the neighbours that advertised, each share sealed for its recipient.
   */
  public ShareBundle shareKeys(AdvertBundle bundle) {
    requirePhase(Phase.KEYS_ADVERTISED);
    bundle.requireRound(setup.federationId(), setup.round());
    int sites = graph.size();
    AgreementPublicKey[] shareKeys = new AgreementPublicKey[sites];
    AgreementPublicKey[] maskKeys = new AgreementPublicKey[sites];
    boolean[] seen = new boolean[sites];
    for (KeyAdvert advert : bundle.adverts()) {
      advert.requireRound(setup.federationId(), setup.round());
      int index = indexOf(advert.participant(), "advert");
      if (seen[index]) {
        throw new SecAggException.ProtocolViolation(
            "advert bundle lists " + advert.participant() + " twice");
      }
      seen[index] = true;
      if (index == selfIndex) {
        if (!advert.shareKey().equals(shareKeyPair.publicKey())
            || !advert.maskKey().equals(maskKeyPair.publicKey())) {
          throw new SecAggException.ProtocolViolation(
              "advert bundle carries keys for " + self + " that it did not advertise");
        }
      } else if (graph.adjacent(selfIndex, index)) {
        advert.verify(verificationKeys);
        shareKeys[index] = advert.shareKey();
        maskKeys[index] = advert.maskKey();
      }
    }
    if (!seen[selfIndex]) {
      throw new SecAggException.ProtocolViolation("advert bundle omits " + self);
    }
    int[] holders = presentIndices(shareKeys);
    requireEnough(holders.length, "neighbours advertised keys");

    byte[] seed = new byte[SecAggKdf.KEY_BYTES];
    random.nextBytes(seed);
    int[] points = new int[holders.length];
    for (int i = 0; i < holders.length; i++) {
      points[i] = holders[i] + 1;
    }
    ShamirShare[] seedShares = shamir.shareSeed(seed, points, random);
    ShamirShare[] keyShares = shamir.shareSeed(maskKeyPair.privateKeyBytes(), points, random);
    List<EncryptedShare> sealed = new ArrayList<>(holders.length);
    byte[][] secrets = new byte[sites][];
    for (int i = 0; i < holders.length; i++) {
      ParticipantId recipient = participant(holders[i]);
      byte[] plaintext = new byte[EncryptedShare.PLAINTEXT_BYTES];
      System.arraycopy(
          ShamirScheme.fixedWidth(seedShares[i].y(), ShamirScheme.SEED_SHARE_BYTES),
          0,
          plaintext,
          0,
          ShamirScheme.SEED_SHARE_BYTES);
      System.arraycopy(
          ShamirScheme.fixedWidth(keyShares[i].y(), ShamirScheme.SEED_SHARE_BYTES),
          0,
          plaintext,
          ShamirScheme.SEED_SHARE_BYTES,
          ShamirScheme.SEED_SHARE_BYTES);
      secrets[holders[i]] = shareKeyPair.agree(shareKeys[holders[i]]);
      byte[] key =
          SecAggKdf.shareKey(
              secrets[holders[i]], setup.federationId(), setup.round(), self, recipient);
      sealed.add(
          new EncryptedShare(
              self,
              recipient,
              ShareCipher.seal(
                  key,
                  plaintext,
                  EncryptedShare.associatedData(
                      setup.federationId(), setup.round(), self, recipient),
                  random)));
      Arrays.fill(plaintext, (byte) 0);
    }
    neighbourShareKeys = shareKeys;
    shareSecrets = secrets;
    neighbourMaskKeys = maskKeys;
    selfMaskSeed = seed;
    phase = Phase.SHARES_SENT;
    return new ShareBundle(setup.federationId(), setup.round(), self, sealed);
  }

  /** Decrypts and keeps the shares neighbours sealed for this site. */
  public void receiveShares(ShareDelivery delivery) {
    requirePhase(Phase.SHARES_SENT);
    delivery.requireRound(setup.federationId(), setup.round());
    if (!delivery.recipient().equals(self)) {
      throw new SecAggException.ProtocolViolation(
          "share delivery addressed to " + delivery.recipient());
    }
    int sites = graph.size();
    ShamirShare[] seedShares = new ShamirShare[sites];
    ShamirShare[] keyShares = new ShamirShare[sites];
    for (EncryptedShare share : delivery.shares()) {
      int sender = indexOf(share.sender(), "share");
      if (!share.recipient().equals(self) || neighbourShareKeys[sender] == null) {
        throw new SecAggException.ProtocolViolation(
            "share from " + share.sender() + " is not from an advertised neighbour");
      }
      if (seedShares[sender] != null) {
        throw new SecAggException.ProtocolViolation("two shares from " + share.sender());
      }
      byte[] key =
          SecAggKdf.shareKey(
              shareSecrets[sender], setup.federationId(), setup.round(), share.sender(), self);
      byte[] plaintext =
          ShareCipher.open(
              key,
              share.sealedView(),
              EncryptedShare.associatedData(
                  setup.federationId(), setup.round(), share.sender(), self));
      if (plaintext.length != EncryptedShare.PLAINTEXT_BYTES) {
        throw new SecAggException.ProtocolViolation(
            "share from " + share.sender() + " has the wrong length");
      }
      int point = selfIndex + 1;
      seedShares[sender] =
          new ShamirShare(
              point,
              new BigInteger(1, Arrays.copyOfRange(plaintext, 0, ShamirScheme.SEED_SHARE_BYTES)));
      keyShares[sender] =
          new ShamirShare(
              point,
              new BigInteger(
                  1,
                  Arrays.copyOfRange(plaintext, ShamirScheme.SEED_SHARE_BYTES, plaintext.length)));
      Arrays.fill(plaintext, (byte) 0);
    }
    requireEnough(presentIndices(seedShares).length, "neighbours sent shares");
    heldSelfMaskShares = seedShares;
    heldMaskKeyShares = keyShares;
    phase = Phase.SHARES_RECEIVED;
  }

  /**
   * Clips, weights and quantizes {@code update}, then adds the self-mask and the pairwise masks
   * with every neighbour that shared keys (+ towards higher indices, − towards lower, so pairs
   * cancel).
   */
  public MaskedInput maskedInput(float[] update, long weight) {
    return maskedInput(update, weight, new long[parameters.countSlots()]);
  }

  /**
   * As {@link #maskedInput(float[], long)}, with {@code counts} (each in [0, max_weight]) in the
   * round's count slots.
   */
  public MaskedInput maskedInput(float[] update, long weight, long[] counts) {
    requirePhase(Phase.SHARES_RECEIVED);
    int[] values = new Quantizer(parameters).quantize(update, weight, counts, random);
    List<Keystream.Mask> masks = new ArrayList<>();
    masks.add(new Keystream.Mask(selfMaskSeed, +1));
    for (int peer = 0; peer < heldMaskKeyShares.length; peer++) {
      if (heldMaskKeyShares[peer] != null) {
        byte[] pairSeed =
            SecAggKdf.pairMaskSeed(
                maskKeyPair.agree(neighbourMaskKeys[peer]),
                setup.federationId(),
                setup.round(),
                self,
                participant(peer));
        masks.add(new Keystream.Mask(pairSeed, selfIndex < peer ? +1 : -1));
      }
    }
    Keystream.addMasks(masks, values);
    int residueMask = parameters.residueMask();
    if (residueMask != -1) {
      for (int i = 0; i < values.length; i++) {
        values[i] &= residueMask;
      }
    }
    phase = Phase.INPUT_SENT;
    return new MaskedInput(setup.federationId(), setup.round(), self, parameters.bits(), values);
  }

  /**
   * Reveals self-mask shares of survivors and mask-key shares of dropped sites. Refuses a request
   * that names a site in both lists, that names this site as dropped, or that has fewer than t
   * survivors; answers only once per round.
   */
  public UnmaskResponse unmaskResponse(UnmaskRequest request) {
    if (phase == Phase.FINISHED) {
      throw new SecAggException.ProtocolViolation(
          self + " already answered an unmask request in round " + setup.round());
    }
    requirePhase(Phase.INPUT_SENT);
    request.requireRound(setup.federationId(), setup.round());
    Set<ParticipantId> survivors = distinct(request.survivors(), "survivors");
    Set<ParticipantId> dropped = distinct(request.dropped(), "dropped");
    for (ParticipantId site : dropped) {
      if (survivors.contains(site)) {
        throw new SecAggException.ConflictingUnmaskRequest(
            "unmask request asks for both masks of " + site);
      }
    }
    if (!survivors.contains(self)) {
      throw new SecAggException.ConflictingUnmaskRequest(
          "unmask request does not list "
              + self
              + " as a survivor although it sent its masked input");
    }
    requireEnough(survivors.size(), "survivors in the unmask request");
    List<UnmaskResponse.RevealedShare> seedShares = reveal(request.survivors(), heldSelfMaskShares);
    List<UnmaskResponse.RevealedShare> keyShares = reveal(request.dropped(), heldMaskKeyShares);
    Arrays.fill(selfMaskSeed, (byte) 0);
    for (byte[] secret : shareSecrets) {
      if (secret != null) {
        Arrays.fill(secret, (byte) 0);
      }
    }
    phase = Phase.FINISHED;
    return new UnmaskResponse(setup.federationId(), setup.round(), self, seedShares, keyShares);
  }

  private List<UnmaskResponse.RevealedShare> reveal(
      List<ParticipantId> owners, ShamirShare[] held) {
    List<UnmaskResponse.RevealedShare> revealed = new ArrayList<>();
    for (ParticipantId owner : owners) {
      ShamirShare share = held[indexOf(owner, "unmask request")];
      if (share != null) {
        revealed.add(new UnmaskResponse.RevealedShare(owner, share));
      }
    }
    return revealed;
  }

  private Set<ParticipantId> distinct(List<ParticipantId> ids, String list) {
    Set<ParticipantId> set = new HashSet<>(ids);
    if (set.size() != ids.size()) {
      throw new SecAggException.ProtocolViolation(
          "unmask request lists a site twice among " + list);
    }
    for (ParticipantId id : ids) {
      indexOf(id, "unmask request");
    }
    return set;
  }

  private void requireEnough(int count, String what) {
    int threshold = parameters.graph().threshold();
    if (count < threshold) {
      throw new SecAggException.RoundAbandoned(
          "only " + count + " " + what + " for " + self + ", threshold is " + threshold);
    }
  }

  private int indexOf(ParticipantId participant, String what) {
    Integer index = indices.get(participant);
    if (index == null) {
      throw new SecAggException.ProtocolViolation(
          what + " names " + participant + ", not a participant of this round");
    }
    return index;
  }

  private ParticipantId participant(int index) {
    return setup.participants().get(index);
  }

  private static int[] presentIndices(Object[] byIndex) {
    return IntStream.range(0, byIndex.length).filter(i -> byIndex[i] != null).toArray();
  }

  private void requirePhase(Phase expected) {
    if (phase != expected) {
      throw new SecAggException.ProtocolViolation(
          "site is in phase " + phase + ", call needs " + expected);
    }
  }
}
