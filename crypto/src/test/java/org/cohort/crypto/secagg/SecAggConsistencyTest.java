package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.cohort.crypto.secagg.RoundHarness.Prepared;
import org.cohort.crypto.secagg.SecAggException.ConsistencyCheckFailed;
import org.cohort.crypto.secagg.SecAggException.ConsistencyCheckFailed.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The survivor-set consistency check against a lying coordinator (issue 10, finding 2), with the
 * real client code: only the coordinator is replaced by the attack.
 */
class SecAggConsistencyTest {
  private static final int LENGTH = 8;
  private static final int VICTIM = 0;

  static Stream<Arguments> graphs() {
    return Stream.of(
        Arguments.of(4, GraphPlan.complete(4, 2)),
        Arguments.of(6, GraphPlan.complete(6, 3)),
        Arguments.of(8, GraphPlan.complete(8, 4)),
        Arguments.of(12, GraphPlan.complete(12, 6)),
        Arguments.of(20, GraphPlan.complete(20, 10)),
        Arguments.of(12, GraphPlan.harary(4, 3)),
        Arguments.of(30, GraphPlan.harary(8, 5)));
  }

  /**
   * The attack of the finding: every site j is told "the victim and j survived, j's other
   * neighbours dropped" (padded with just enough other sites to pass the size check). Each request
   * on its own passes every check the site made before the consistency check — j is a survivor, no
   * site is in both lists, at least t survivors — and together they hand the coordinator t shares
   * of the victim's self-mask and t shares of every neighbour's mask key, i.e. the victim's exact
   * input (asserted below as {@code perRequestChecksWouldPass} and the share counts). With the
   * check, every honest site refuses and the coordinator gets no share at all.
   */
  @ParameterizedTest(name = "n={0}, {1}")
  @MethodSource("graphs")
  void inconsistentSurvivorSetsRevealNothing(int sites, GraphPlan plan) {
    RoundHarness harness = new RoundHarness(sites, 40 + sites);
    SecAggParameters parameters = new SecAggParameters(sites, LENGTH, plan, 1.0, 100);
    RoundSetup setup = harness.setup(1, parameters);
    Prepared round = harness.prepare(setup);
    float[][] updates = RoundHarness.updates(sites, LENGTH, 5);
    for (int i = 0; i < sites; i++) {
      round.server().acceptMaskedInput(round.clients().get(i).maskedInput(updates[i], 1 + i));
    }
    NeighbourGraph graph = setup.graph(round.advertBundle());
    int threshold = plan.threshold();

    List<Set<Integer>> survivorSets = new ArrayList<>();
    List<SurvivorSignature> signatures = new ArrayList<>();
    for (int j = 0; j < sites; j++) {
      Set<Integer> told = liesFor(j, graph, threshold);
      survivorSets.add(told);
      signatures.add(round.clients().get(j).signSurvivors(survivorSet(harness, told)));
    }
    int[] selfMaskHolders = new int[sites];
    int[] maskKeyHolders = new int[sites];
    for (int j = 0; j < sites; j++) {
      for (int owner : graph.neighbours(j)) {
        if (survivorSets.get(j).contains(owner)) {
          selfMaskHolders[owner]++;
        } else {
          maskKeyHolders[owner]++;
        }
      }
    }
    assertTrue(selfMaskHolders[VICTIM] >= threshold, "attack asks t holders for the self-mask");
    for (int neighbour : graph.neighbours(VICTIM)) {
      assertTrue(maskKeyHolders[neighbour] >= threshold, "attack asks t holders per mask key");
    }

    int revealed = 0;
    for (int recipient = 0; recipient < sites; recipient++) {
      int j = recipient;
      SecAggClient site = round.clients().get(j);
      Set<Integer> told = survivorSets.get(j);
      List<SurvivorSignature> neighbourSignatures = new ArrayList<>();
      for (int neighbour : graph.neighbours(j)) {
        neighbourSignatures.add(signatures.get(neighbour));
      }
      ConsistencyCheckFailed refused =
          assertThrows(
              ConsistencyCheckFailed.class,
              () -> site.unmaskResponse(request(harness, graph, j, told, neighbourSignatures)));
      assertTrue(
          refused.reason() == Reason.INVALID_SIGNATURE || refused.reason() == Reason.NOT_A_SURVIVOR,
          refused.reason().toString());
      // Relaying only the signatures that do verify over j's set leaves too few of them.
      List<SurvivorSignature> matching = new ArrayList<>();
      for (int neighbour : graph.neighbours(j)) {
        if (survivorSets.get(neighbour).equals(told)) {
          matching.add(signatures.get(neighbour));
        }
      }
      ConsistencyCheckFailed tooFew =
          assertThrows(
              ConsistencyCheckFailed.class,
              () -> site.unmaskResponse(request(harness, graph, j, told, matching)));
      assertEquals(Reason.TOO_FEW_SIGNATURES, tooFew.reason());
      assertEquals(SecAggClient.Phase.SURVIVORS_SIGNED, site.phase());
      revealed += site.phase() == SecAggClient.Phase.FINISHED ? 1 : 0;
    }
    assertEquals(0, revealed);
  }

  /** The victim and j survive, j's other neighbours drop; others fill the set up to t. */
  private static Set<Integer> liesFor(int j, NeighbourGraph graph, int threshold) {
    int sites = graph.size();
    Set<Integer> told = new TreeSet<>(List.of(VICTIM, j));
    for (int other = 0; other < sites; other++) {
      if (other != j && !graph.adjacent(j, other)) {
        told.add(other);
      }
    }
    // Rotate the padding so each neighbour is padded in as few requests as possible.
    for (int step = 1; told.size() < threshold; step++) {
      told.add((j + step) % sites);
    }
    return told;
  }

  private static SurvivorSet survivorSet(RoundHarness harness, Set<Integer> members) {
    List<ParticipantId> ids = new ArrayList<>();
    new TreeSet<>(members).forEach(i -> ids.add(harness.ids.get(i)));
    return new SurvivorSet(RoundHarness.FEDERATION, 1, ids);
  }

  private static UnmaskRequest request(
      RoundHarness harness,
      NeighbourGraph graph,
      int recipient,
      Set<Integer> survivors,
      List<SurvivorSignature> signatures) {
    List<ParticipantId> alive = new ArrayList<>();
    List<ParticipantId> dropped = new ArrayList<>();
    for (int neighbour : graph.neighbours(recipient)) {
      (survivors.contains(neighbour) ? alive : dropped).add(harness.ids.get(neighbour));
    }
    return new UnmaskRequest(
        RoundHarness.FEDERATION, 1, harness.ids.get(recipient), alive, dropped, signatures);
  }

  /** A SecAgg+ round (n = 12, k = 4, t = 3) driven honestly up to the unmask requests. */
  private record Honest(
      RoundHarness harness,
      Prepared round,
      NeighbourGraph graph,
      Map<ParticipantId, UnmaskRequest> requests) {
    SecAggClient site(int index) {
      return round.clients().get(index);
    }

    UnmaskRequest requestFor(int index) {
      return requests.get(harness.ids.get(index));
    }

    UnmaskRequest withSignatures(int index, List<SurvivorSignature> signatures) {
      UnmaskRequest honest = requestFor(index);
      return new UnmaskRequest(
          honest.federationId(),
          honest.round(),
          honest.recipient(),
          honest.survivors(),
          honest.dropped(),
          signatures);
    }
  }

  private static Honest honestRound() {
    RoundHarness harness = new RoundHarness(12, 77);
    SecAggParameters parameters = new SecAggParameters(12, LENGTH, GraphPlan.harary(4, 3), 1.0, 9);
    RoundSetup setup = harness.setup(1, parameters);
    Prepared round = harness.prepare(setup);
    for (SecAggClient client : round.clients()) {
      round.server().acceptMaskedInput(client.maskedInput(new float[LENGTH], 1));
    }
    return new Honest(
        harness, round, setup.graph(round.advertBundle()), RoundHarness.closeInputsAndSign(round));
  }

  private static Reason refusal(Honest honest, List<SurvivorSignature> signatures) {
    return assertThrows(
            ConsistencyCheckFailed.class,
            () -> honest.site(0).unmaskResponse(honest.withSignatures(0, signatures)))
        .reason();
  }

  @Test
  void fewerThanThresholdSignaturesAreRefused() {
    Honest honest = honestRound();
    List<SurvivorSignature> all = honest.requestFor(0).signatures();
    assertEquals(4, all.size());
    assertEquals(Reason.TOO_FEW_SIGNATURES, refusal(honest, all.subList(0, 2)));
    assertEquals(Reason.TOO_FEW_SIGNATURES, refusal(honest, List.of()));
    assertAnswersHonestRequest(honest);
  }

  @Test
  void aSignatureFromANonNeighbourIsRefused() {
    Honest honest = honestRound();
    // A stranger that signed the very same survivor set: only the graph makes it unacceptable.
    SurvivorSignature stranger = null;
    for (UnmaskRequest request : honest.requests().values()) {
      for (SurvivorSignature signature : request.signatures()) {
        int signer = honest.harness().ids.indexOf(signature.signer());
        if (signer != 0 && !honest.graph().adjacent(0, signer)) {
          stranger = signature;
        }
      }
    }
    List<SurvivorSignature> signatures = new ArrayList<>(honest.requestFor(0).signatures());
    signatures.add(stranger);
    assertEquals(Reason.NOT_A_NEIGHBOUR, refusal(honest, signatures));
    assertAnswersHonestRequest(honest);
  }

  @Test
  void aSignatureOverADifferentSetIsRefused() {
    Honest honest = honestRound();
    List<SurvivorSignature> signatures = new ArrayList<>(honest.requestFor(0).signatures());
    SurvivorSignature replaced = signatures.get(0);
    List<ParticipantId> fewer = new ArrayList<>(honest.harness().ids);
    fewer.remove(fewer.size() - 1);
    signatures.set(
        0,
        SurvivorSignature.sign(
            new SurvivorSet(RoundHarness.FEDERATION, 1, fewer),
            replaced.signer(),
            honest.harness().signingKeys.get(replaced.signer()).getPrivate()));
    assertEquals(Reason.INVALID_SIGNATURE, refusal(honest, signatures));
    assertAnswersHonestRequest(honest);
  }

  @Test
  void aDuplicatedSignerIsRefused() {
    Honest honest = honestRound();
    List<SurvivorSignature> signatures =
        new ArrayList<>(honest.requestFor(0).signatures().subList(0, 2));
    signatures.add(signatures.get(0));
    assertEquals(Reason.DUPLICATE_SIGNER, refusal(honest, signatures));
    assertAnswersHonestRequest(honest);
  }

  @Test
  void aForgedSignatureIsRefused() {
    Honest honest = honestRound();
    List<SurvivorSignature> signatures = new ArrayList<>(honest.requestFor(0).signatures());
    SurvivorSignature genuine = signatures.get(1);
    byte[] forged = genuine.signature();
    forged[7] ^= 1;
    signatures.set(
        1,
        new SurvivorSignature(genuine.federationId(), genuine.round(), genuine.signer(), forged));
    assertEquals(Reason.INVALID_SIGNATURE, refusal(honest, signatures));
    assertThrows(
        SecAggException.InvalidAdvertSignature.class,
        () -> {
          SecAggServer fresh = honestRoundBeforeSignatures();
          fresh.acceptSurvivorSignature(signatures.get(1));
        });
    assertAnswersHonestRequest(honest);
  }

  @Test
  void aSiteSignsOnlyOneSurvivorSetPerRound() {
    Honest honest = honestRound();
    SurvivorSet other =
        new SurvivorSet(RoundHarness.FEDERATION, 1, honest.harness().ids.subList(0, 11));
    assertEquals(
        Reason.SECOND_SURVIVOR_SET,
        assertThrows(ConsistencyCheckFailed.class, () -> honest.site(0).signSurvivors(other))
            .reason());
    assertAnswersHonestRequest(honest);
  }

  private static SecAggServer honestRoundBeforeSignatures() {
    RoundHarness harness = new RoundHarness(12, 77);
    SecAggParameters parameters = new SecAggParameters(12, LENGTH, GraphPlan.harary(4, 3), 1.0, 9);
    Prepared round = harness.prepare(harness.setup(1, parameters));
    for (SecAggClient client : round.clients()) {
      round.server().acceptMaskedInput(client.maskedInput(new float[LENGTH], 1));
    }
    round.server().closeInputs();
    return round.server();
  }

  /** A refusal changed nothing: the consistent request is still answered, exactly once. */
  private static void assertAnswersHonestRequest(Honest honest) {
    UnmaskResponse response = honest.site(0).unmaskResponse(honest.requestFor(0));
    Set<ParticipantId> owners = new HashSet<>();
    response.selfMaskShares().forEach(r -> owners.add(r.owner()));
    assertEquals(4, owners.size());
    assertEquals(SecAggClient.Phase.FINISHED, honest.site(0).phase());
  }
}
