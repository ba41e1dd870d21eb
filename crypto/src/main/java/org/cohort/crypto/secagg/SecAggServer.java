package org.cohort.crypto.secagg;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The coordinator's side of one round. Messages are accepted while their phase is open; the
 * coordinator closes each phase (at its deadline or when everyone answered):
 *
 * <pre>
 *   acceptAdvert(KeyAdvert)*            closeAdverts()      → AdvertBundle         (U1 = advertised)
 *   acceptShares(ShareBundle)*          closeShares()       → List&lt;ShareDelivery&gt; (U2 = shared)
 *   acceptMaskedInput(MaskedInput)*     closeInputs()       → SurvivorSet          (U3 = sent input)
 *   acceptSurvivorSignature(SurvivorSignature)* closeSignatures() → List&lt;UnmaskRequest&gt; (U4 = signed U3)
 *   acceptUnmaskResponse(UnmaskResponse)* finish()          → AggregateResult
 * </pre>
 *
 * The survivor set goes to every site in U3; each signs it (the consistency check of Bonawitz et
 * al.'s malicious-server variant, see {@link SecAggClient}). Each signer then gets its own unmask
 * request: its surviving and dropped neighbours and the signatures of its neighbours that signed.
 *
 * <p>Masked inputs are added into one int[] as they arrive (O(model) memory, never one site's
 * unmasked update: a masked input is uniformly random on its own, and the masks only come off the
 * sum, after at least t inputs are in). A refused message throws a {@link SecAggException} and
 * changes nothing; when too few sites remain, the round becomes {@link Phase#ABANDONED} and yields
 * nothing. Not thread-safe: the transport must serialise calls (e.g. one executor per round) and
 * keep them off I/O threads; {@link #finish()} expands the masks on the calling thread.
 */
public final class SecAggServer {
  public enum Phase {
    COLLECTING_ADVERTS,
    COLLECTING_SHARES,
    COLLECTING_INPUTS,
    COLLECTING_SIGNATURES,
    COLLECTING_UNMASK_RESPONSES,
    COMPLETE,
    ABANDONED
  }

  private final RoundSetup setup;
  private final SecAggParameters parameters;
  private final Map<ParticipantId, Integer> indices;

  /** Null until {@link #closeAdverts} fixes the advert set, and with it the graph. */
  private NeighbourGraph graph;

  private final VerificationKeys verificationKeys;
  private final ShamirScheme shamir;
  private final int sites;

  private Phase phase = Phase.COLLECTING_ADVERTS;
  private final KeyAdvert[] adverts;
  private final List<List<EncryptedShare>> inboxes;
  private final boolean[] shared;
  private final boolean[] sentInput;
  private final boolean[] droppedAfterSharing;
  private final SurvivorSignature[] signatures;
  private final boolean[] responded;
  private final List<List<ShamirShare>> selfMaskShares;
  private final List<List<ShamirShare>> maskKeyShares;
  private int[] accumulator;
  private SurvivorSet survivorSet;

  public SecAggServer(RoundSetup setup, VerificationKeys verificationKeys) {
    this.setup = setup;
    this.parameters = setup.parameters();
    this.indices = setup.indexMap();
    this.verificationKeys = verificationKeys;
    this.shamir = ShamirScheme.forSeeds(parameters.graph().threshold());
    this.sites = setup.participants().size();
    this.adverts = new KeyAdvert[sites];
    this.inboxes = perSite();
    this.shared = new boolean[sites];
    this.sentInput = new boolean[sites];
    this.droppedAfterSharing = new boolean[sites];
    this.signatures = new SurvivorSignature[sites];
    this.responded = new boolean[sites];
    this.selfMaskShares = perSite();
    this.maskKeyShares = perSite();
  }

  private <T> List<List<T>> perSite() {
    List<List<T>> lists = new ArrayList<>(sites);
    for (int i = 0; i < sites; i++) {
      lists.add(new ArrayList<>());
    }
    return lists;
  }

  public Phase phase() {
    return phase;
  }

  public void acceptAdvert(KeyAdvert advert) {
    requirePhase(Phase.COLLECTING_ADVERTS);
    advert.requireRound(setup.federationId(), setup.round());
    int index = indexOf(advert.participant());
    if (adverts[index] != null) {
      throw new SecAggException.ProtocolViolation("second key advert from " + advert.participant());
    }
    advert.verify(verificationKeys);
    adverts[index] = advert;
  }

  public AdvertBundle closeAdverts() {
    requirePhase(Phase.COLLECTING_ADVERTS);
    requireEnough(count(i -> adverts[i] != null), "sites advertised keys");
    List<KeyAdvert> admitted = Arrays.stream(adverts).filter(a -> a != null).toList();
    AdvertBundle bundle = new AdvertBundle(setup.federationId(), setup.round(), admitted);
    graph = setup.graph(bundle);
    phase = Phase.COLLECTING_SHARES;
    return bundle;
  }

  /** Accepts a site's shares if they go exactly to its neighbours that advertised keys. */
  public void acceptShares(ShareBundle bundle) {
    requirePhase(Phase.COLLECTING_SHARES);
    bundle.requireRound(setup.federationId(), setup.round());
    int sender = indexOf(bundle.sender());
    if (adverts[sender] == null) {
      throw new SecAggException.ProtocolViolation(
          bundle.sender() + " sent shares without advertising keys");
    }
    if (shared[sender]) {
      throw new SecAggException.ProtocolViolation("second share bundle from " + bundle.sender());
    }
    Set<Integer> expected = new HashSet<>();
    for (int neighbour : graph.neighboursView(sender)) {
      if (adverts[neighbour] != null) {
        expected.add(neighbour);
      }
    }
    Set<Integer> seen = new HashSet<>();
    for (EncryptedShare share : bundle.shares()) {
      int recipient = indexOf(share.recipient());
      if (!share.sender().equals(bundle.sender())
          || !expected.contains(recipient)
          || !seen.add(recipient)) {
        throw new SecAggException.ProtocolViolation(
            "share bundle of "
                + bundle.sender()
                + " has a share that is not for one of its advertised neighbours");
      }
      if (share.sealedView().length != EncryptedShare.SEALED_BYTES) {
        throw new SecAggException.ProtocolViolation(
            "share bundle of " + bundle.sender() + " has a share of the wrong size");
      }
    }
    if (!seen.equals(expected)) {
      throw new SecAggException.ProtocolViolation(
          "share bundle of " + bundle.sender() + " misses advertised neighbours");
    }
    for (EncryptedShare share : bundle.shares()) {
      inboxes.get(indices.get(share.recipient())).add(share);
    }
    shared[sender] = true;
  }

  /** One delivery per site that shared keys: the shares addressed to it. */
  public List<ShareDelivery> closeShares() {
    requirePhase(Phase.COLLECTING_SHARES);
    requireEnough(count(i -> shared[i]), "sites shared keys");
    List<ShareDelivery> deliveries = new ArrayList<>();
    for (int i = 0; i < sites; i++) {
      if (shared[i]) {
        deliveries.add(
            new ShareDelivery(setup.federationId(), setup.round(), participant(i), inboxes.get(i)));
      }
      inboxes.set(i, List.of());
    }
    accumulator = new int[parameters.maskedLength()];
    phase = Phase.COLLECTING_INPUTS;
    return deliveries;
  }

  /** Adds a masked input into the running sum. */
  public void acceptMaskedInput(MaskedInput input) {
    requirePhase(Phase.COLLECTING_INPUTS);
    input.requireRound(setup.federationId(), setup.round());
    int index = indexOf(input.participant());
    if (!shared[index]) {
      throw new SecAggException.ProtocolViolation(
          input.participant() + " sent a masked input without sharing keys");
    }
    if (sentInput[index]) {
      throw new SecAggException.ProtocolViolation(
          "second masked input from " + input.participant());
    }
    int[] values = input.values();
    if (input.bits() != parameters.bits() || values.length != accumulator.length) {
      throw new SecAggException.ProtocolViolation(
          String.format(
              "masked input of %s has %d values of %d bits, round expects %d of %d bits",
              input.participant(),
              values.length,
              input.bits(),
              accumulator.length,
              parameters.bits()));
    }
    int[] sum = accumulator;
    for (int i = 0; i < sum.length; i++) {
      sum[i] += values[i];
    }
    sentInput[index] = true;
  }

  /** How many masked inputs are in the sum so far. */
  public int maskedInputs() {
    return count(i -> sentInput[i]);
  }

  /**
   * Closes the input phase: the survivor set U3 (sites whose masked input is in the sum), in
   * participant order, for every survivor to sign. Sites that shared but sent no input are dropped.
   */
  public SurvivorSet closeInputs() {
    requirePhase(Phase.COLLECTING_INPUTS);
    requireEnough(count(i -> sentInput[i]), "sites sent masked inputs");
    List<ParticipantId> survivors = new ArrayList<>();
    for (int i = 0; i < sites; i++) {
      if (sentInput[i]) {
        survivors.add(participant(i));
      } else if (shared[i]) {
        droppedAfterSharing[i] = true;
      }
    }
    survivorSet = new SurvivorSet(setup.federationId(), setup.round(), survivors);
    phase = Phase.COLLECTING_SIGNATURES;
    return survivorSet;
  }

  /** Keeps a survivor's signature over U3 if it verifies; refused otherwise (never relayed). */
  public void acceptSurvivorSignature(SurvivorSignature signature) {
    requirePhase(Phase.COLLECTING_SIGNATURES);
    signature.requireRound(setup.federationId(), setup.round());
    int signer = indexOf(signature.signer());
    if (!sentInput[signer]) {
      throw new SecAggException.ProtocolViolation(
          signature.signer() + " signed the survivor set but is not a survivor");
    }
    if (signatures[signer] != null) {
      throw new SecAggException.ProtocolViolation(
          "second survivor signature from " + signature.signer());
    }
    if (!signature.verifies(survivorSet, verificationKeys)) {
      throw new SecAggException.InvalidAdvertSignature(
          "survivor signature of " + signature.signer() + " does not verify");
    }
    signatures[signer] = signature;
  }

  /** How many survivors signed U3 so far. */
  public int survivorSignatures() {
    return count(i -> signatures[i] != null);
  }

  /**
   * One unmask request per survivor that signed: survivors = U3 ∩ its neighbours, dropped = its
   * neighbours that shared but sent no input, and the signatures of its neighbours that signed.
   */
  public List<UnmaskRequest> closeSignatures() {
    requirePhase(Phase.COLLECTING_SIGNATURES);
    requireEnough(survivorSignatures(), "survivors signed the survivor set");
    List<UnmaskRequest> requests = new ArrayList<>();
    for (int site = 0; site < sites; site++) {
      if (signatures[site] == null) {
        continue;
      }
      List<ParticipantId> survivors = new ArrayList<>();
      List<ParticipantId> dropped = new ArrayList<>();
      List<SurvivorSignature> neighbourSignatures = new ArrayList<>();
      for (int neighbour : graph.neighboursView(site)) {
        if (sentInput[neighbour]) {
          survivors.add(participant(neighbour));
        } else if (droppedAfterSharing[neighbour]) {
          dropped.add(participant(neighbour));
        }
        if (signatures[neighbour] != null) {
          neighbourSignatures.add(signatures[neighbour]);
        }
      }
      requests.add(
          new UnmaskRequest(
              setup.federationId(),
              setup.round(),
              participant(site),
              survivors,
              dropped,
              neighbourSignatures));
    }
    phase = Phase.COLLECTING_UNMASK_RESPONSES;
    return requests;
  }

  public void acceptUnmaskResponse(UnmaskResponse response) {
    requirePhase(Phase.COLLECTING_UNMASK_RESPONSES);
    response.requireRound(setup.federationId(), setup.round());
    int responder = indexOf(response.responder());
    if (signatures[responder] == null) {
      throw new SecAggException.ProtocolViolation(
          response.responder() + " is not a survivor that signed the survivor set");
    }
    if (responded[responder]) {
      throw new SecAggException.ProtocolViolation(
          "second unmask response from " + response.responder());
    }
    checkRevealed(responder, response.selfMaskShares(), sentInput, "self-mask");
    checkRevealed(responder, response.maskKeyShares(), droppedAfterSharing, "mask-key");
    response
        .selfMaskShares()
        .forEach(r -> selfMaskShares.get(indices.get(r.owner())).add(r.share()));
    response.maskKeyShares().forEach(r -> maskKeyShares.get(indices.get(r.owner())).add(r.share()));
    responded[responder] = true;
  }

  private void checkRevealed(
      int responder,
      List<UnmaskResponse.RevealedShare> shares,
      boolean[] allowedOwners,
      String kind) {
    Set<Integer> owners = new HashSet<>();
    for (UnmaskResponse.RevealedShare revealed : shares) {
      int owner = indexOf(revealed.owner());
      if (!allowedOwners[owner]
          || !graph.adjacent(responder, owner)
          || !owners.add(owner)
          || revealed.share().x() != responder + 1) {
        throw new SecAggException.ProtocolViolation(
            "unmask response of "
                + participant(responder)
                + " has an unexpected "
                + kind
                + " share");
      }
    }
  }

  /**
   * Reconstructs the dropped sites' mask keys and the survivors' self-mask seeds, strips all masks
   * from the sum and dequantizes it. Abandons the round if any needed secret has fewer than t
   * shares.
   */
  public AggregateResult finish() {
    requirePhase(Phase.COLLECTING_UNMASK_RESPONSES);
    int threshold = parameters.graph().threshold();
    for (int i = 0; i < sites; i++) {
      int have =
          sentInput[i]
              ? selfMaskShares.get(i).size()
              : droppedAfterSharing[i] ? maskKeyShares.get(i).size() : threshold;
      if (have < threshold) {
        abandon(
            "only "
                + have
                + " of "
                + threshold
                + " shares needed to unmask "
                + participant(i)
                + " arrived");
      }
    }
    Map<List<Integer>, BigInteger[]> lagrangeCache = new HashMap<>();
    int[] sum = accumulator;
    List<Keystream.Mask> removals = new ArrayList<>();
    for (int dropped = 0; dropped < sites; dropped++) {
      if (!droppedAfterSharing[dropped]) {
        continue;
      }
      AgreementKeyPair maskKey =
          AgreementKeyPair.fromPrivateKey(
              ShamirScheme.toSeedBytes(reconstruct(maskKeyShares.get(dropped), lagrangeCache)));
      if (!maskKey.publicKey().equals(adverts[dropped].maskKey())) {
        abandon("shares of the mask key of " + participant(dropped) + " are inconsistent");
      }
      for (int survivor : graph.neighboursView(dropped)) {
        if (sentInput[survivor]) {
          byte[] pairSeed =
              SecAggKdf.pairMaskSeed(
                  maskKey.agree(adverts[survivor].maskKey()),
                  setup.federationId(),
                  setup.round(),
                  participant(dropped),
                  participant(survivor));
          // The survivor added +mask if its index is lower than the dropped site's, −mask
          // otherwise.
          removals.add(new Keystream.Mask(pairSeed, survivor < dropped ? -1 : +1));
        }
      }
    }
    for (int survivor = 0; survivor < sites; survivor++) {
      if (sentInput[survivor]) {
        byte[] seed =
            ShamirScheme.toSeedBytes(reconstruct(selfMaskShares.get(survivor), lagrangeCache));
        removals.add(new Keystream.Mask(seed, -1));
      }
    }
    Keystream.addMasks(removals, sum);
    int residueMask = parameters.residueMask();
    if (residueMask != -1) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] &= residueMask;
      }
    }
    Quantizer.AggregateResultValues values = new Quantizer(parameters).dequantize(sum);
    List<ParticipantId> contributors =
        IntStream.range(0, sites).filter(i -> sentInput[i]).mapToObj(this::participant).toList();
    accumulator = null;
    phase = Phase.COMPLETE;
    return new AggregateResult(
        values.weightedSum(), values.totalWeight(), values.countSums(), contributors);
  }

  /**
   * Interpolates from the t shares with the smallest points; coefficients are shared across
   * secrets.
   */
  private BigInteger reconstruct(List<ShamirShare> shares, Map<List<Integer>, BigInteger[]> cache) {
    int threshold = shamir.threshold();
    List<ShamirShare> chosen =
        shares.stream().sorted((a, b) -> Integer.compare(a.x(), b.x())).limit(threshold).toList();
    List<Integer> points = chosen.stream().map(ShamirShare::x).toList();
    BigInteger[] lagrange =
        cache.computeIfAbsent(
            points, p -> shamir.lagrangeAtZero(p.stream().mapToInt(Integer::intValue).toArray()));
    BigInteger secret = BigInteger.ZERO;
    for (int i = 0; i < threshold; i++) {
      secret = secret.add(chosen.get(i).y().multiply(lagrange[i]));
    }
    return secret.mod(ShamirScheme.SEED_FIELD);
  }

  private void requireEnough(int count, String what) {
    int threshold = parameters.graph().threshold();
    if (count < threshold) {
      abandon("only " + count + " " + what + ", threshold is " + threshold);
    }
  }

  private void abandon(String reason) {
    phase = Phase.ABANDONED;
    if (accumulator != null) {
      Arrays.fill(accumulator, 0);
      accumulator = null;
    }
    throw new SecAggException.RoundAbandoned("round " + setup.round() + " abandoned: " + reason);
  }

  private int count(IntPredicate predicate) {
    return (int) IntStream.range(0, sites).filter(predicate).count();
  }

  private int indexOf(ParticipantId participant) {
    Integer index = indices.get(participant);
    if (index == null) {
      throw new SecAggException.ProtocolViolation(
          participant + " is not a participant of round " + setup.round());
    }
    return index;
  }

  private ParticipantId participant(int index) {
    return setup.participants().get(index);
  }

  private void requirePhase(Phase expected) {
    if (phase != expected) {
      throw new SecAggException.ProtocolViolation(
          "round is in phase " + phase + ", message needs " + expected);
    }
  }
}
