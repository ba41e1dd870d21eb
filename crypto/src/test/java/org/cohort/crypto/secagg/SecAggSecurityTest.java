package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cohort.crypto.secagg.RoundHarness.Prepared;
import org.junit.jupiter.api.Test;

class SecAggSecurityTest {
  private static final int LENGTH = 1 << 16;

  private static SecAggParameters parameters(int sites, int threshold, int length) {
    return new SecAggParameters(sites, length, GraphPlan.complete(sites, threshold), 1.0, 100);
  }

  /**
   * Pearson's chi-square over 256 buckets of one byte of each residue. Under uniformity it follows
   * χ²(255) (mean 255, sd 22.6); P[χ²(255) > 450] ≈ 1e-12 (Wilson–Hilferty), so a false failure is
   * practically impossible, while structured data scores orders of magnitude higher.
   */
  private static double chiSquare(int[] values, int shift) {
    long[] counts = new long[256];
    for (int value : values) {
      counts[(value >>> shift) & 0xff]++;
    }
    double expected = values.length / 256.0;
    double statistic = 0;
    for (long count : counts) {
      statistic += (count - expected) * (count - expected) / expected;
    }
    return statistic;
  }

  private static final double CHI_SQUARE_LIMIT = 450;

  @Test
  void aSingleMaskedInputLooksUniformlyRandom() {
    RoundHarness harness = new RoundHarness(3, 1);
    Prepared round = harness.prepare(harness.setup(1, parameters(3, 2, LENGTH)));
    float[] structured = new float[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      structured[i] = (i % 7) * 0.01f;
    }
    MaskedInput masked = round.clients().get(0).maskedInput(structured, 3);
    int[] plain =
        new Quantizer(parameters(3, 2, LENGTH))
            .quantize(structured, 3, new long[0], RoundHarness.deterministic(2));
    for (int shift : new int[] {0, 8, 16, 24}) {
      assertTrue(chiSquare(masked.values(), shift) < CHI_SQUARE_LIMIT, "byte at shift " + shift);
      assertTrue(
          chiSquare(plain, shift) > 100 * CHI_SQUARE_LIMIT,
          "the test must be able to see structure");
    }
  }

  @Test
  void theCoordinatorNeverUnmasksFewerThanThresholdInputs() {
    RoundHarness harness = new RoundHarness(3, 2);
    Prepared round = harness.prepare(harness.setup(1, parameters(3, 2, 16)));
    round.server().acceptMaskedInput(round.clients().get(0).maskedInput(new float[16], 1));
    assertThrows(SecAggException.RoundAbandoned.class, () -> round.server().closeInputs());
    assertEquals(SecAggServer.Phase.ABANDONED, round.server().phase());
    assertThrows(SecAggException.ProtocolViolation.class, () -> round.server().finish());
  }

  @Test
  void tamperedKeyAdvertIsRefusedAndTheServerKeepsServing() {
    RoundHarness harness = new RoundHarness(4, 3);
    RoundSetup setup = harness.setup(1, parameters(4, 3, 16));
    SecAggServer server = new SecAggServer(setup, harness.verificationKeys);
    KeyAdvert genuine = harness.client(setup, 0).advertiseKeys();
    KeyAdvert swappedKey =
        new KeyAdvert(
            genuine.federationId(),
            genuine.round(),
            genuine.participant(),
            harness.client(setup, 1).advertiseKeys().shareKey(),
            genuine.maskKey(),
            genuine.signature());
    assertThrows(
        SecAggException.InvalidAdvertSignature.class, () -> server.acceptAdvert(swappedKey));
    byte[] badSignature = genuine.signature();
    badSignature[5] ^= 1;
    assertThrows(
        SecAggException.InvalidAdvertSignature.class,
        () ->
            server.acceptAdvert(
                new KeyAdvert(
                    genuine.federationId(),
                    genuine.round(),
                    genuine.participant(),
                    genuine.shareKey(),
                    genuine.maskKey(),
                    badSignature)));
    server.acceptAdvert(genuine);
    assertEquals(SecAggServer.Phase.COLLECTING_ADVERTS, server.phase());
  }

  @Test
  void advertSignedWithAnotherSitesKeyIsRefused() {
    RoundHarness harness = new RoundHarness(4, 4);
    RoundSetup setup = harness.setup(1, parameters(4, 3, 16));
    ParticipantId victim = harness.ids.get(0);
    SecAggClient impostor =
        new SecAggClient(
            setup,
            victim,
            harness.signingKeys.get(harness.ids.get(1)).getPrivate(),
            harness.verificationKeys,
            RoundHarness.deterministic(5));
    SecAggServer server = new SecAggServer(setup, harness.verificationKeys);
    assertThrows(
        SecAggException.InvalidAdvertSignature.class,
        () -> server.acceptAdvert(impostor.advertiseKeys()));
  }

  @Test
  void siteRefusesABundleWithASwappedNeighbourKeyAndKeepsItsState() {
    RoundHarness harness = new RoundHarness(4, 5);
    RoundSetup setup = harness.setup(1, parameters(4, 3, 16));
    List<SecAggClient> clients = new ArrayList<>();
    List<KeyAdvert> adverts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(harness.client(setup, i));
      adverts.add(clients.get(i).advertiseKeys());
    }
    KeyAdvert coordinatorsKey = harness.client(setup, 3).advertiseKeys();
    List<KeyAdvert> forged = new ArrayList<>(adverts);
    KeyAdvert original = adverts.get(2);
    forged.set(
        2,
        new KeyAdvert(
            original.federationId(),
            original.round(),
            original.participant(),
            coordinatorsKey.shareKey(),
            coordinatorsKey.maskKey(),
            original.signature()));
    SecAggClient site = clients.get(0);
    assertThrows(
        SecAggException.InvalidAdvertSignature.class,
        () -> site.shareKeys(new AdvertBundle(setup.federationId(), 1, forged)));
    assertEquals(SecAggClient.Phase.KEYS_ADVERTISED, site.phase());

    List<KeyAdvert> ownKeysSwapped = new ArrayList<>(adverts);
    ParticipantId self = harness.ids.get(0);
    SecAggClient otherKeys =
        new SecAggClient(
            setup,
            self,
            harness.signingKeys.get(self).getPrivate(),
            harness.verificationKeys,
            RoundHarness.deterministic(99));
    ownKeysSwapped.set(0, otherKeys.advertiseKeys());
    assertThrows(
        SecAggException.ProtocolViolation.class,
        () -> site.shareKeys(new AdvertBundle(setup.federationId(), 1, ownKeysSwapped)));

    ShareBundle shares = site.shareKeys(new AdvertBundle(setup.federationId(), 1, adverts));
    assertEquals(3, shares.shares().size());
  }

  @Test
  void unmaskRequestForBothMasksOfOneSiteIsRefused() {
    RoundHarness harness = new RoundHarness(4, 6);
    Prepared round = harness.prepare(harness.setup(1, parameters(4, 3, 16)));
    for (SecAggClient client : round.clients()) {
      round.server().acceptMaskedInput(client.maskedInput(new float[16], 1));
    }
    List<ParticipantId> all = harness.ids;
    SecAggClient site = round.clients().get(0);
    Map<ParticipantId, UnmaskRequest> requests = RoundHarness.closeInputsAndSign(round);
    UnmaskRequest honest = requests.get(all.get(0));
    SecAggException.ConflictingUnmaskRequest both =
        assertThrows(
            SecAggException.ConflictingUnmaskRequest.class,
            () ->
                site.unmaskResponse(
                    new UnmaskRequest(
                        RoundHarness.FEDERATION,
                        1,
                        all.get(0),
                        all.subList(1, 4),
                        List.of(all.get(2)),
                        honest.signatures())));
    assertTrue(both.getMessage().contains(all.get(2).value()));
    SecAggException.ConsistencyCheckFailed differs =
        assertThrows(
            SecAggException.ConsistencyCheckFailed.class,
            () ->
                site.unmaskResponse(
                    new UnmaskRequest(
                        RoundHarness.FEDERATION,
                        1,
                        all.get(0),
                        all.subList(1, 3),
                        List.of(all.get(3)),
                        honest.signatures())));
    assertEquals(
        SecAggException.ConsistencyCheckFailed.Reason.REQUEST_DIFFERS_FROM_SIGNED_SET,
        differs.reason());
    assertEquals(SecAggClient.Phase.SURVIVORS_SIGNED, site.phase());

    UnmaskResponse response = site.unmaskResponse(honest);
    assertEquals(3, response.selfMaskShares().size());
    assertEquals(0, response.maskKeyShares().size());
    assertThrows(SecAggException.ProtocolViolation.class, () -> site.unmaskResponse(honest));
  }

  @Test
  void messagesReplayedFromAnEarlierRoundAreRefused() {
    RoundHarness harness = new RoundHarness(4, 7);
    SecAggParameters parameters = parameters(4, 3, 16);
    Prepared earlier = harness.prepare(harness.setup(1, parameters));
    MaskedInput earlierInput = earlier.clients().get(1).maskedInput(new float[16], 1);

    RoundSetup setup = harness.setup(2, parameters);
    SecAggServer server = new SecAggServer(setup, harness.verificationKeys);
    KeyAdvert replayed = earlier.adverts().get(0);
    assertThrows(SecAggException.WrongRound.class, () -> server.acceptAdvert(replayed));
    KeyAdvert relabelled =
        new KeyAdvert(
            replayed.federationId(),
            2,
            replayed.participant(),
            replayed.shareKey(),
            replayed.maskKey(),
            replayed.signature());
    assertThrows(
        SecAggException.InvalidAdvertSignature.class, () -> server.acceptAdvert(relabelled));

    Prepared current = harness.prepare(setup);
    assertThrows(
        SecAggException.WrongRound.class, () -> current.server().acceptMaskedInput(earlierInput));

    SecAggClient fresh = harness.client(setup, 0);
    fresh.advertiseKeys();
    assertThrows(SecAggException.WrongRound.class, () -> fresh.shareKeys(earlier.advertBundle()));

    // An earlier round's share, re-wrapped as this round's delivery, fails authentication.
    RoundSetup third = harness.setup(3, parameters);
    Prepared next = harness.prepareUntilShares(third);
    EncryptedShare oldShare = earlier.deliveries().get(0).shares().get(0);
    SecAggClient recipient = next.clients().get(0);
    List<EncryptedShare> shares = new ArrayList<>(next.deliveries().get(0).shares());
    int slot = indexOfSender(shares, oldShare.sender());
    shares.set(slot, oldShare);
    assertThrows(
        SecAggException.ShareDecryptionFailed.class,
        () ->
            recipient.receiveShares(
                new ShareDelivery(RoundHarness.FEDERATION, 3, harness.ids.get(0), shares)));
    assertEquals(SecAggClient.Phase.SHARES_SENT, recipient.phase());
  }

  private static int indexOfSender(List<EncryptedShare> shares, ParticipantId sender) {
    for (int i = 0; i < shares.size(); i++) {
      if (shares.get(i).sender().equals(sender)) {
        return i;
      }
    }
    throw new AssertionError("no share from " + sender);
  }

  @Test
  void badInputsAreRefusedWithoutCorruptingTheSum() {
    RoundHarness harness = new RoundHarness(4, 8);
    SecAggParameters parameters = parameters(4, 3, 16);
    Prepared round = harness.prepare(harness.setup(1, parameters));
    float[][] updates = RoundHarness.updates(4, 16, 9);
    List<MaskedInput> inputs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inputs.add(round.clients().get(i).maskedInput(updates[i], i + 1));
      round.server().acceptMaskedInput(inputs.get(i));
    }
    SecAggServer server = round.server();
    assertThrows(
        SecAggException.ProtocolViolation.class, () -> server.acceptMaskedInput(inputs.get(0)));
    assertThrows(
        SecAggException.ProtocolViolation.class,
        () ->
            server.acceptMaskedInput(
                new MaskedInput(
                    RoundHarness.FEDERATION, 1, ParticipantId.of("intruder"), 32, new int[17])));
    assertThrows(
        SecAggException.ProtocolViolation.class,
        () ->
            server.acceptUnmaskResponse(
                new UnmaskResponse(
                    RoundHarness.FEDERATION, 1, harness.ids.get(0), List.of(), List.of())));
    Map<ParticipantId, UnmaskRequest> requests = RoundHarness.closeInputsAndSign(round);
    for (int i = 0; i < 4; i++) {
      server.acceptUnmaskResponse(
          round.clients().get(i).unmaskResponse(requests.get(harness.ids.get(i))));
    }
    AggregateResult result = server.finish();
    assertEquals(1 + 2 + 3 + 4, result.totalWeight());
    double expected = 0;
    for (int i = 0; i < 4; i++) {
      expected += (i + 1) * Math.max(-1, Math.min(1, updates[i][0]));
    }
    assertEquals(expected, result.weightedSum()[0], parameters.sumErrorBound(4));
  }

  @Test
  void roundSetupsThatDoNotMatchTheirParametersOrMembersAreRefused() {
    RoundHarness harness = new RoundHarness(3, 11);
    RoundSetup setup = harness.setup(1, parameters(3, 2, 4));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () ->
            new SecAggClient(
                setup,
                ParticipantId.of("stranger"),
                harness.signingKeys.get(harness.ids.get(0)).getPrivate(),
                harness.verificationKeys,
                RoundHarness.deterministic(1)));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () ->
            new RoundSetup(
                RoundHarness.FEDERATION,
                1,
                harness.ids.subList(0, 2),
                new byte[32],
                parameters(3, 2, 4)));
    assertThrows(
        SecAggException.InvalidParameters.class,
        () ->
            new RoundSetup(
                RoundHarness.FEDERATION,
                1,
                List.of(harness.ids.get(0), harness.ids.get(0), harness.ids.get(1)),
                new byte[32],
                parameters(3, 2, 4)));
  }

  @Test
  void aSiteCannotBeStartedOutOfOrder() {
    RoundHarness harness = new RoundHarness(3, 10);
    SecAggClient client = harness.client(harness.setup(1, parameters(3, 2, 4)), 0);
    assertThrows(
        SecAggException.ProtocolViolation.class, () -> client.maskedInput(new float[4], 1));
    assertThrows(
        SecAggException.ProtocolViolation.class,
        () ->
            client.unmaskResponse(
                new UnmaskRequest(
                    RoundHarness.FEDERATION,
                    1,
                    harness.ids.get(0),
                    harness.ids,
                    List.of(),
                    List.of())));
    assertEquals(SecAggClient.Phase.CREATED, client.phase());
  }
}
