package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.cohort.crypto.secagg.RoundHarness.Dropout;
import org.cohort.crypto.secagg.RoundHarness.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SecAggRoundTest {
  private static final int LENGTH = 1000;
  private static final long MAX_WEIGHT = 500;

  private static void assertMatchesPlainFedAvg(SecAggParameters parameters, Outcome outcome) {
    assertNull(outcome.abandoned(), () -> "round abandoned: " + outcome.abandoned().getMessage());
    AggregateResult result = outcome.result();
    assertEquals(Set.copyOf(outcome.contributors()), Set.copyOf(result.contributors()));
    assertEquals(outcome.expectedTotalWeight(), result.totalWeight());
    // Each contributor's stochastic rounding is off by less than one step of 1/scale.
    double sumBound = parameters.sumErrorBound(outcome.contributors().size());
    double averageBound =
        sumBound / outcome.expectedTotalWeight() + 1e-6; // + float32 rounding of the average
    for (int i = 0; i < LENGTH; i++) {
      double expected = outcome.expectedWeightedSum()[i];
      assertEquals(expected, result.weightedSum()[i], sumBound, "weighted sum at " + i);
      assertEquals(
          expected / outcome.expectedTotalWeight(),
          result.weightedSum()[i] / result.totalWeight(),
          averageBound,
          "FedAvg at " + i);
    }
  }

  private static SecAggParameters complete(int sites, int threshold) {
    return new SecAggParameters(
        sites, LENGTH, GraphPlan.complete(sites, threshold), 1.0, MAX_WEIGHT);
  }

  @Test
  void withoutDropoutsTheAggregateIsTheWeightedSumOfAllUpdates() {
    RoundHarness harness = new RoundHarness(8, 1);
    SecAggParameters parameters = complete(8, 5);
    Outcome outcome =
        harness.run(
            harness.setup(1, parameters),
            Map.of(),
            RoundHarness.updates(8, LENGTH, 11),
            RoundHarness.weights(8, MAX_WEIGHT, 12));
    assertEquals(8, outcome.contributors().size());
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  @Test
  void sparseGraphAggregateIsTheWeightedSumOfAllUpdates() {
    RoundHarness harness = new RoundHarness(30, 2);
    SecAggParameters parameters =
        new SecAggParameters(30, LENGTH, GraphPlan.harary(10, 6), 1.0, MAX_WEIGHT);
    Outcome outcome =
        harness.run(
            harness.setup(1, parameters),
            Map.of(),
            RoundHarness.updates(30, LENGTH, 21),
            RoundHarness.weights(30, MAX_WEIGHT, 22));
    assertEquals(30, outcome.contributors().size());
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  @Test
  void narrowRingsWorkThroughModularReduction() {
    RoundHarness harness = new RoundHarness(6, 3);
    SecAggParameters parameters =
        new SecAggParameters(6, LENGTH, GraphPlan.complete(6, 4), 24, 1.0, 100);
    Outcome outcome =
        harness.run(
            harness.setup(1, parameters),
            Map.of(harness.ids.get(2), Dropout.AFTER_SHARING),
            RoundHarness.updates(6, LENGTH, 31),
            RoundHarness.weights(6, 100, 32));
    assertEquals(5, outcome.contributors().size());
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  @Test
  void integerEncodedResiduesSumModuloTheRingAndEachWeighsOne() {
    int sites = 5;
    int bits = 12;
    RoundHarness harness = new RoundHarness(sites, 5);
    SecAggParameters parameters =
        SecAggParameters.integer(sites, LENGTH, GraphPlan.complete(sites, 3), bits);
    RoundHarness.Prepared round = harness.prepare(harness.setup(1, parameters));
    SplittableRandom random = new SplittableRandom(41);
    long[] expected = new long[LENGTH];
    for (SecAggClient client : round.clients()) {
      int[] residues = new int[LENGTH];
      for (int i = 0; i < LENGTH; i++) {
        int value = random.nextInt(-300, 300);
        expected[i] += value;
        // Two's complement residues: the engine keeps only the low `bits` bits.
        residues[i] = value;
      }
      round.server().acceptMaskedInput(client.maskedInput(residues));
    }
    Map<ParticipantId, UnmaskRequest> requests = RoundHarness.closeInputsAndSign(round);
    for (int i = 0; i < sites; i++) {
      round
          .server()
          .acceptUnmaskResponse(
              round.clients().get(i).unmaskResponse(requests.get(harness.ids.get(i))));
    }
    AggregateResult result = round.server().finish();
    assertEquals(sites, result.totalWeight());
    for (int i = 0; i < LENGTH; i++) {
      assertEquals(expected[i], result.weightedSum()[i], 0.0, "signed sum at " + i);
    }
  }

  @Test
  void aRoundRefusesTheOtherEncoding() {
    RoundHarness harness = new RoundHarness(3, 6);
    RoundHarness.Prepared fixed = harness.prepare(harness.setup(1, complete(3, 2)));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> fixed.clients().get(0).maskedInput(new int[LENGTH]));
    RoundHarness.Prepared integer =
        harness.prepare(
            harness.setup(2, SecAggParameters.integer(3, LENGTH, GraphPlan.complete(3, 2), 16)));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () -> integer.clients().get(0).maskedInput(new float[LENGTH], 1));
  }

  /**
   * 3 of 10 sites (30%) vanish at one step; t = 6 remain, so the round completes with exactly the
   * survivors.
   */
  @ParameterizedTest
  @EnumSource(Dropout.class)
  void completeGraphSurvivesThirtyPercentDropoutAtEachStep(Dropout step) {
    RoundHarness harness = new RoundHarness(10, 4);
    SecAggParameters parameters = complete(10, 6);
    Map<ParticipantId, Dropout> dropouts = dropouts(harness, step, 1, 4, 9);
    Outcome outcome =
        harness.run(
            harness.setup(1, parameters),
            dropouts,
            RoundHarness.updates(10, LENGTH, 41),
            RoundHarness.weights(10, MAX_WEIGHT, 42));
    boolean dropoutsContribute =
        step == Dropout.AFTER_MASKED_INPUT
            || step == Dropout.DURING_CONSISTENCY_CHECK
            || step == Dropout.DURING_UNMASKING;
    assertEquals(dropoutsContribute ? 10 : 7, outcome.contributors().size());
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  @Test
  void completeGraphSurvivesDropoutsSpreadOverAllSteps() {
    RoundHarness harness = new RoundHarness(10, 5);
    SecAggParameters parameters = complete(10, 6);
    Map<ParticipantId, Dropout> dropouts = new HashMap<>();
    dropouts.put(harness.ids.get(0), Dropout.AFTER_ADVERTISING);
    dropouts.put(harness.ids.get(5), Dropout.AFTER_SHARING);
    dropouts.put(harness.ids.get(7), Dropout.DURING_UNMASKING);
    Outcome outcome =
        harness.run(
            harness.setup(1, parameters),
            dropouts,
            RoundHarness.updates(10, LENGTH, 51),
            RoundHarness.weights(10, MAX_WEIGHT, 52));
    assertEquals(8, outcome.contributors().size()); // site 7 sent its input before vanishing
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  /** With 5 of 10 gone, fewer than t = 6 remain: the round is abandoned and yields nothing. */
  @ParameterizedTest
  @EnumSource(Dropout.class)
  void fewerThanThresholdSurvivorsAbandonTheRound(Dropout step) {
    RoundHarness harness = new RoundHarness(10, 6);
    Outcome outcome =
        harness.run(
            harness.setup(1, complete(10, 6)),
            dropouts(harness, step, 0, 2, 4, 6, 8),
            RoundHarness.updates(10, LENGTH, 61),
            RoundHarness.weights(10, MAX_WEIGHT, 62));
    assertNull(outcome.result());
    assertNotNull(outcome.abandoned());
  }

  /**
   * SecAgg+ with 30% dropout: the round must complete exactly when every secret the coordinator
   * needs has t shares among the dropped site's or survivor's live neighbours, and then be correct.
   */
  @ParameterizedTest
  @EnumSource(
      value = Dropout.class,
      names = {
        "AFTER_SHARING",
        "AFTER_MASKED_INPUT",
        "DURING_CONSISTENCY_CHECK",
        "DURING_UNMASKING"
      })
  void sparseGraphSurvivesThirtyPercentDropout(Dropout step) {
    int sites = 30;
    RoundHarness harness = new RoundHarness(sites, 7);
    SecAggParameters parameters =
        new SecAggParameters(sites, LENGTH, GraphPlan.harary(16, 9), 1.0, MAX_WEIGHT);
    RoundSetup setup = harness.setup(1, parameters);
    int[] lost = {2, 5, 9, 12, 16, 19, 23, 26, 29};
    Outcome outcome =
        harness.run(
            setup,
            dropouts(harness, step, lost),
            RoundHarness.updates(sites, LENGTH, 71),
            RoundHarness.weights(sites, MAX_WEIGHT, 72));
    assertTrue(
        everySecretRecoverable(harness, setup, lost, step), "scenario should be recoverable");
    assertMatchesPlainFedAvg(parameters, outcome);
  }

  @Test
  void sparseGraphWithAWholeNeighbourhoodLostIsAbandoned() {
    int sites = 30;
    RoundHarness harness = new RoundHarness(sites, 8);
    SecAggParameters parameters =
        new SecAggParameters(sites, LENGTH, GraphPlan.harary(6, 4), 1.0, MAX_WEIGHT);
    RoundSetup setup = harness.setup(1, parameters);
    int[] neighbours = graph(harness, setup).neighbours(0);
    int[] lost = {neighbours[0], neighbours[1], neighbours[2]}; // site 0 keeps 3 < t = 4 neighbours
    Outcome outcome =
        harness.run(
            setup,
            dropouts(harness, Dropout.DURING_UNMASKING, lost),
            RoundHarness.updates(sites, LENGTH, 81),
            RoundHarness.weights(sites, MAX_WEIGHT, 82));
    assertTrue(!everySecretRecoverable(harness, setup, lost, Dropout.DURING_UNMASKING));
    assertNotNull(outcome.abandoned());
    assertNull(outcome.result());
  }

  /** Independent oracle: does each secret the coordinator needs have t live holders? */
  /**
   * The graph of a round in which every site advertises: it depends on the adverts, which the
   * harness draws deterministically, so a dry run shows the graph the real run will have.
   */
  private static NeighbourGraph graph(RoundHarness harness, RoundSetup setup) {
    return setup.graph(harness.prepareUntilShares(setup).advertBundle());
  }

  @Test
  void theSparseGraphIsFixedByTheSignedAdvertsNotByTheSetupAlone() {
    SecAggParameters parameters =
        new SecAggParameters(30, LENGTH, GraphPlan.harary(6, 4), 1.0, MAX_WEIGHT);
    RoundHarness first = new RoundHarness(30, 1);
    RoundSetup setup = first.setup(1, parameters);
    // The same setup (participants and seed), other sites' keys: a coordinator that picked the
    // seed could not have known which graph it would give.
    RoundHarness second = new RoundHarness(30, 2);
    NeighbourGraph a = graph(first, setup);
    NeighbourGraph b = graph(second, setup);
    boolean differ = false;
    for (int site = 0; site < 30; site++) {
      differ |= !java.util.Arrays.equals(a.neighbours(site), b.neighbours(site));
    }
    assertTrue(differ, "the graph must change with the adverts");
  }

  private static boolean everySecretRecoverable(
      RoundHarness harness, RoundSetup setup, int[] lost, Dropout step) {
    NeighbourGraph graph = graph(harness, setup);
    Set<Integer> gone = new HashSet<>();
    for (int i : lost) {
      gone.add(i);
    }
    int threshold = setup.parameters().graph().threshold();
    for (int owner = 0; owner < graph.size(); owner++) {
      boolean ownerContributes =
          !gone.contains(owner)
              || step == Dropout.AFTER_MASKED_INPUT
              || step == Dropout.DURING_CONSISTENCY_CHECK
              || step == Dropout.DURING_UNMASKING;
      if (!ownerContributes && step != Dropout.AFTER_SHARING) {
        continue; // never shared: nobody masked with it
      }
      int holders = 0;
      for (int neighbour : graph.neighbours(owner)) {
        holders += gone.contains(neighbour) ? 0 : 1;
      }
      if (holders < threshold) {
        return false;
      }
    }
    return true;
  }

  private static Map<ParticipantId, Dropout> dropouts(
      RoundHarness harness, Dropout step, int... indices) {
    Map<ParticipantId, Dropout> dropouts = new HashMap<>();
    for (int i : indices) {
      dropouts.put(harness.ids.get(i), step);
    }
    return dropouts;
  }

  @Test
  void roundsAreIndependent() {
    RoundHarness harness = new RoundHarness(5, 9);
    SecAggParameters parameters = complete(5, 3);
    for (long round : List.of(1L, 2L)) {
      Outcome outcome =
          harness.run(
              harness.setup(round, parameters),
              Map.of(),
              RoundHarness.updates(5, LENGTH, 90 + round),
              RoundHarness.weights(5, MAX_WEIGHT, 95 + round));
      assertMatchesPlainFedAvg(parameters, outcome);
    }
  }
}
