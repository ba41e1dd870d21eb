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
 *   MaskedInput   maskedInput(int[] residues)             SHARES_RECEIVED → INPUT_SENT  (integer encoding)
 *   SurvivorSignature signSurvivors(SurvivorSet)          INPUT_SENT       → SURVIVORS_SIGNED
 *   UnmaskResponse unmaskResponse(UnmaskRequest)          SURVIVORS_SIGNED → FINISHED
 * </pre>
 *
 * A call out of order, or a message that fails a check, throws a {@link SecAggException} and leaves
 * the phase unchanged.
 *
 * <h2>Consistency check (Bonawitz et al., CCS 2017, malicious-server variant)</h2>
 *
 * Checking each unmask request on its own is not enough: a coordinator that tells every neighbour j
 * of a victim "the victim survived, and every other neighbour dropped" collects the victim's
 * self-mask from them and every neighbour's mask key from the others, and so the victim's exact
 * input. So the site signs the survivor set U3 once per round ({@link #signSurvivors}) and reveals
 * shares only when the unmask request carries at least t valid signatures over that same set from
 * distinct neighbours of its own that are themselves in the set, and the request's lists are
 * exactly what the set implies: survivors = U3 ∩ neighbours, dropped = the neighbours that
 * exchanged shares with this site but are not in U3. Honest sites sign one set, so every honest
 * site that answers in a neighbourhood answers for the same set.
 *
 * <p>Secrets are wiped once their phase is over: the X25519 private-key bytes given to Shamir, the
 * sealed plaintexts and share-key secrets, the self-mask seed, and the references to the held
 * shares and key pairs. This is best effort: BouncyCastle's key objects and {@link
 * java.math.BigInteger} shares cannot be overwritten, and the JVM may have copied any array (GC
 * moves, JIT spills), so copies can stay in memory until it is reused. Not thread-safe.
 */
public final class SecAggClient {
  public enum Phase {
    CREATED,
    KEYS_ADVERTISED,
    SHARES_SENT,
    SHARES_RECEIVED,
    INPUT_SENT,
    SURVIVORS_SIGNED,
    FINISHED
  }

  private final RoundSetup setup;
  private final SecAggParameters parameters;
  private final ParticipantId self;
  private final int selfIndex;
  private final Map<ParticipantId, Integer> indices;

  /** Null until the advert set, which fixes the graph, is known. */
  private NeighbourGraph graph;

  private final PrivateKey signingKey;
  private final VerificationKeys verificationKeys;
  private final SecureRandom random;
  private final ShamirScheme shamir;

  private Phase phase = Phase.CREATED;
  private AgreementKeyPair shareKeyPair;
  private AgreementKeyPair maskKeyPair;
  private AgreementPublicKey[] neighbourShareKeys;

  /** X25519 secrets with each neighbour's share key, from sealing until the replies are open. */
  private byte[][] shareSecrets;

  private AgreementPublicKey[] neighbourMaskKeys;
  private byte[] selfMaskSeed;

  /**
   * Shares this site holds, by owner index; non-null exactly for neighbours that shared (U2 ∩ N).
   */
  private ShamirShare[] heldSelfMaskShares;

  private ShamirShare[] heldMaskKeyShares;

  /** The one survivor set this site signed this round, by index; null until it signs. */
  private boolean[] signedSurvivors;

  private SurvivorSet signedSet;

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
    graph = setup.graph(bundle);
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
    byte[] maskPrivateKey = maskKeyPair.privateKeyBytes();
    ShamirShare[] keyShares = shamir.shareSeed(maskPrivateKey, points, random);
    Arrays.fill(maskPrivateKey, (byte) 0);
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
      Arrays.fill(key, (byte) 0);
      Arrays.fill(plaintext, (byte) 0);
    }
    // The share key pair is needed only for the secrets just derived.
    shareKeyPair = null;
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
      Arrays.fill(key, (byte) 0);
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
    for (byte[] secret : shareSecrets) {
      if (secret != null) {
        Arrays.fill(secret, (byte) 0);
      }
    }
    shareSecrets = null;
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
    return mask(new Quantizer(parameters).quantize(update, weight, counts, random));
  }

  /**
   * Masks a vector the site encoded into Z_(2^bits) itself, for a round with {@link
   * SecAggParameters.Encoding#INTEGER}; its weight is 1.
   */
  public MaskedInput maskedInput(int[] residues) {
    requirePhase(Phase.SHARES_RECEIVED);
    return mask(new Quantizer(parameters).integerInput(residues));
  }

  private MaskedInput mask(int[] values) {
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
    // The masks are on: the seeds and the mask key are needed no more (their shares are out).
    for (Keystream.Mask mask : masks) {
      Arrays.fill(mask.seed(), (byte) 0);
    }
    selfMaskSeed = null;
    maskKeyPair = null;
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
   * Signs the survivor set U3 — the sites whose masked input reached the coordinator — once per
   * round. Refuses a set that is not in the round's participant order, omits this site, is smaller
   * than t, or names a neighbour that never exchanged shares with this site.
   */
  public SurvivorSignature signSurvivors(SurvivorSet set) {
    if (phase == Phase.SURVIVORS_SIGNED || phase == Phase.FINISHED) {
      throw new SecAggException.ConsistencyCheckFailed(
          SecAggException.ConsistencyCheckFailed.Reason.SECOND_SURVIVOR_SET,
          self + " already signed a survivor set in round " + setup.round());
    }
    requirePhase(Phase.INPUT_SENT);
    set.requireRound(setup.federationId(), setup.round());
    boolean[] members = new boolean[graph.size()];
    int previous = -1;
    for (ParticipantId survivor : set.survivors()) {
      int index = indexOf(survivor, "survivor set");
      if (index <= previous) {
        throw new SecAggException.ProtocolViolation(
            "survivor set is not in participant order or lists a site twice");
      }
      previous = index;
      if (graph.adjacent(selfIndex, index) && heldSelfMaskShares[index] == null) {
        throw new SecAggException.ConflictingUnmaskRequest(
            "survivor set names " + survivor + ", which exchanged no shares with " + self);
      }
      members[index] = true;
    }
    if (!members[selfIndex]) {
      throw new SecAggException.ConflictingUnmaskRequest(
          "survivor set does not list " + self + " although it sent its masked input");
    }
    requireEnough(set.survivors().size(), "survivors in the survivor set");
    SurvivorSignature signature = SurvivorSignature.sign(set, self, signingKey);
    signedSurvivors = members;
    signedSet = set;
    phase = Phase.SURVIVORS_SIGNED;
    return signature;
  }

  /**
   * Reveals self-mask shares of surviving neighbours and mask-key shares of dropped ones, after the
   * consistency check (class comment); answers only once per round.
   */
  public UnmaskResponse unmaskResponse(UnmaskRequest request) {
    if (phase == Phase.FINISHED) {
      throw new SecAggException.ProtocolViolation(
          self + " already answered an unmask request in round " + setup.round());
    }
    requirePhase(Phase.SURVIVORS_SIGNED);
    request.requireRound(setup.federationId(), setup.round());
    if (!request.recipient().equals(self)) {
      throw new SecAggException.ProtocolViolation(
          "unmask request addressed to " + request.recipient());
    }
    requireConsistentSignatures(request.signatures());
    Set<ParticipantId> survivors = distinct(request.survivors(), "survivors");
    Set<ParticipantId> dropped = distinct(request.dropped(), "dropped");
    for (ParticipantId site : dropped) {
      if (survivors.contains(site)) {
        throw new SecAggException.ConflictingUnmaskRequest(
            "unmask request asks for both masks of " + site);
      }
    }
    Set<ParticipantId> expectedSurvivors = new HashSet<>();
    Set<ParticipantId> expectedDropped = new HashSet<>();
    for (int peer = 0; peer < heldSelfMaskShares.length; peer++) {
      if (heldSelfMaskShares[peer] != null) {
        (signedSurvivors[peer] ? expectedSurvivors : expectedDropped).add(participant(peer));
      }
    }
    if (!survivors.equals(expectedSurvivors) || !dropped.equals(expectedDropped)) {
      throw new SecAggException.ConsistencyCheckFailed(
          SecAggException.ConsistencyCheckFailed.Reason.REQUEST_DIFFERS_FROM_SIGNED_SET,
          "unmask request for "
              + self
              + " does not match the survivor set it signed in round "
              + setup.round());
    }
    List<UnmaskResponse.RevealedShare> seedShares = reveal(request.survivors(), heldSelfMaskShares);
    List<UnmaskResponse.RevealedShare> keyShares = reveal(request.dropped(), heldMaskKeyShares);
    wipeSecrets();
    phase = Phase.FINISHED;
    return new UnmaskResponse(setup.federationId(), setup.round(), self, seedShares, keyShares);
  }

  /**
   * At least t valid signatures over the set this site signed, from distinct neighbours in that
   * set; any signature that is not one of those refuses the whole request.
   */
  private void requireConsistentSignatures(List<SurvivorSignature> signatures) {
    boolean[] counted = new boolean[graph.size()];
    int valid = 0;
    for (SurvivorSignature signature : signatures) {
      signature.requireRound(setup.federationId(), setup.round());
      int signer = indexOf(signature.signer(), "survivor signature");
      if (!graph.adjacent(selfIndex, signer)) {
        throw consistency(
            SecAggException.ConsistencyCheckFailed.Reason.NOT_A_NEIGHBOUR,
            "a survivor signature is from " + signature.signer() + ", not a neighbour of " + self);
      }
      if (!signedSurvivors[signer]) {
        throw consistency(
            SecAggException.ConsistencyCheckFailed.Reason.NOT_A_SURVIVOR,
            "a survivor signature is from " + signature.signer() + ", outside the signed set");
      }
      if (counted[signer]) {
        throw consistency(
            SecAggException.ConsistencyCheckFailed.Reason.DUPLICATE_SIGNER,
            "two survivor signatures from " + signature.signer());
      }
      if (!signature.verifies(signedSet, verificationKeys)) {
        throw consistency(
            SecAggException.ConsistencyCheckFailed.Reason.INVALID_SIGNATURE,
            "the survivor signature of "
                + signature.signer()
                + " does not verify over the set "
                + self
                + " signed");
      }
      counted[signer] = true;
      valid++;
    }
    int threshold = parameters.graph().threshold();
    if (valid < threshold) {
      throw consistency(
          SecAggException.ConsistencyCheckFailed.Reason.TOO_FEW_SIGNATURES,
          "only "
              + valid
              + " neighbours of "
              + self
              + " signed its survivor set, threshold is "
              + threshold);
    }
  }

  private static SecAggException.ConsistencyCheckFailed consistency(
      SecAggException.ConsistencyCheckFailed.Reason reason, String message) {
    return new SecAggException.ConsistencyCheckFailed(reason, message);
  }

  /** Best effort (class comment): overwrite what can be overwritten, drop the rest. */
  private void wipeSecrets() {
    Arrays.fill(heldSelfMaskShares, null);
    Arrays.fill(heldMaskKeyShares, null);
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
