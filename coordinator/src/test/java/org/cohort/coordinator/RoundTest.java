package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.cohort.coordinator.aggregate.StreamingSum;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggClient;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.UpdateHeader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every transition of the round state machine, plain and secure, with a fake clock and no sockets.
 */
class RoundTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final Duration PHASE = Duration.ofSeconds(10);

  /** A clock the test moves by hand. */
  static final class FakeClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Nested
  class Plain {
    private final FakeClock clock = new FakeClock();

    private Round round(int min, String... sites) {
      return Round.plain(7, List.of(sites), min, new StreamingSum(2), clock, DEADLINE);
    }

    private UpdateHeader header(long examples) {
      return UpdateHeader.newBuilder().setExampleCount(examples).setTotalElements(2).build();
    }

    private Transition upload(Round round, String site, long examples, float... update) {
      assertNull(round.admitUpload(site, header(examples), 2));
      return round.contribute(site, header(examples), update);
    }

    @Test
    void allAnsweredAggregatesTheExampleWeightedMeanThenCompletesWhenApplied() {
      Round round = round(2, "a", "b");
      assertInstanceOf(Transition.Stay.class, upload(round, "a", 1, 1f, 1f));
      Transition done = upload(round, "b", 3, 3f, -1f);
      // (1*[1,1] + 3*[3,-1]) / 4 = [2.5, -0.5]
      assertArrayEquals(
          new float[] {2.5f, -0.5f},
          assertInstanceOf(Transition.Aggregated.class, done).aggregate().delta());
      assertEquals(RoundPhase.APPLYING, round.phase());
      round.applied();
      assertEquals(RoundPhase.COMPLETED, round.phase());
      assertEquals(4, round.summary().totalExamples());
    }

    @Test
    void aSiteDroppedMidUploadContributesNothing() {
      Round round = round(1, "a", "b");
      upload(round, "a", 2, 1f, 1f);
      assertNull(round.admitUpload("b", header(100), 2));
      Transition afterDrop = round.leave("b", Round.Departure.DROPPED);
      assertArrayEquals(
          new float[] {1f, 1f},
          assertInstanceOf(Transition.Aggregated.class, afterDrop).aggregate().delta());
      assertInstanceOf(
          Transition.Stay.class,
          round.contribute("b", header(100), new float[] {50f, 50f}),
          "a late upload after a drop changes nothing");
    }

    @Test
    void tooFewRemainingParticipantsAbandonAtOnce() {
      Round round = round(2, "a", "b", "c");
      upload(round, "a", 1, 1f, 1f);
      assertInstanceOf(Transition.Stay.class, round.leave("b", Round.Departure.DROPPED));
      Transition.Abandoned abandoned =
          assertInstanceOf(Transition.Abandoned.class, round.leave("c", Round.Departure.DECLINED));
      assertTrue(abandoned.reason().contains("only 1 of the required 2"), abandoned.reason());
      assertEquals(RoundPhase.ABANDONED, round.phase());
      assertEquals(ErrorCode.ERROR_CODE_WRONG_ROUND, round.admitUpload("c", header(1), 2));
      assertThrows(IllegalStateException.class, round::applied);
    }

    @Test
    void theDeadlineAggregatesWithEnoughAndAbandonsWithTooFew() {
      Round enough = round(1, "a", "b");
      upload(enough, "a", 1, 1f, 1f);
      assertInstanceOf(Transition.Stay.class, enough.settle());
      assertInstanceOf(
          Transition.Stay.class,
          enough.expire(RoundPhase.ADVERTISING),
          "a stale timer changes nothing");
      assertInstanceOf(Transition.Aggregated.class, enough.expire(RoundPhase.COLLECTING));

      Round tooFew = round(2, "a", "b");
      upload(tooFew, "a", 1, 1f, 1f);
      assertInstanceOf(Transition.Abandoned.class, tooFew.expire(RoundPhase.COLLECTING));
      assertEquals(1, tooFew.summary().contributions());
    }

    @Test
    void uploadsAreAdmittedOncePerParticipantWithAMatchingHeader() {
      Round round = round(1, "a", "b");
      assertEquals(ErrorCode.ERROR_CODE_NOT_PARTICIPANT, round.admitUpload("z", header(1), 2));
      assertNull(round.admitUpload("a", header(1), 2));
      assertEquals(ErrorCode.ERROR_CODE_DUPLICATE, round.admitUpload("a", header(1), 2));
      assertEquals(
          ErrorCode.ERROR_CODE_INVALID_UPDATE,
          round.admitUpload(
              "b", UpdateHeader.newBuilder().setExampleCount(1).setTotalElements(3).build(), 2));
      assertEquals(
          ErrorCode.ERROR_CODE_INVALID_UPDATE,
          round(1, "c").admitUpload("c", UpdateHeader.newBuilder().setTotalElements(2).build(), 2));
    }

    @Test
    void aNonFiniteUpdateRejectsItsSenderAndLeavesTheSumAlone() {
      Round round = round(1, "a", "b");
      assertNull(round.admitUpload("a", header(5), 2));
      assertInstanceOf(
          Transition.Stay.class, round.contribute("a", header(5), new float[] {Float.NaN, 1f}));
      Transition done = upload(round, "b", 1, 2f, 2f);
      Transition.Aggregated aggregated = assertInstanceOf(Transition.Aggregated.class, done);
      assertArrayEquals(new float[] {2f, 2f}, aggregated.aggregate().delta());
      assertEquals(1, aggregated.aggregate().contributions());
    }

    @Test
    void aCompletedRoundStaysCompletedWhateverFailsAfterwards() {
      Round round = round(1, "a");
      upload(round, "a", 1, 1f, 1f);
      round.applied();
      round.abandon("a listener failed");
      assertEquals(RoundPhase.COMPLETED, round.phase());
      assertEquals(RoundPhase.COMPLETED, round.summary().phase());
    }

    @Test
    void aRoundCanBeAbandonedWhileApplyingAndIsThenOver() {
      Round round = round(1, "a");
      upload(round, "a", 1, 1f, 1f);
      assertEquals(RoundPhase.APPLYING, round.phase());
      assertInstanceOf(
          Transition.Stay.class,
          round.leave("a", Round.Departure.DROPPED),
          "nothing changes while applying");
      assertEquals("checkpoint failed", round.abandon("checkpoint failed").reason());
      assertTrue(round.isOver());
      assertThrows(IllegalStateException.class, round::applied);
      assertEquals(RoundPhase.ABANDONED, round.summary().phase());
    }

    @Test
    void thePlainHardDeadlineIsTheRoundDeadline() {
      Round round = round(1, "a");
      assertEquals(clock.instant().plus(DEADLINE), round.hardDeadline());
      assertEquals(round.hardDeadline(), round.deadline());
    }
  }

  /**
   * Real keys, real certificates from the project's CA, real masking; only the network is absent.
   */
  @Nested
  class Secure {
    private static final String FEDERATION = "round-test";
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c", "site-d");

    private final FakeClock clock = new FakeClock();
    private final Map<String, SecAggClient> clients = new LinkedHashMap<>();
    private RoundSetup setup;
    private Round round;

    private Round start(int threshold, int min) {
      setup =
          new RoundSetup(
              FEDERATION,
              3,
              SITES.stream().map(ParticipantId::of).toList(),
              new byte[32],
              new SecAggParameters(
                  SITES.size(), 2, GraphPlan.complete(SITES.size(), threshold), 1.0, 1000));
      Map<ParticipantId, PublicKey> keys = new HashMap<>();
      for (String site : SITES) {
        keys.put(ParticipantId.of(site), KITS.get(site).signingCertificate().getPublicKey());
      }
      for (String site : SITES) {
        clients.put(
            site,
            new SecAggClient(
                setup,
                ParticipantId.of(site),
                SIGNING_KEYS.get(site),
                SigningCertificates.resolver(keys),
                new SecureRandom()));
      }
      round =
          Round.secure(
              new SecureSum(setup, CA.certificate(), Optional.empty()),
              min,
              clock,
              DEADLINE,
              PHASE);
      return round;
    }

    private Transition advertise(String site) throws Round.Refusal {
      return round.acceptAdvert(site, clients.get(site).advertiseKeys(), der(site));
    }

    private Transition.NextPhase advertiseAll(List<String> sites) throws Round.Refusal {
      Transition last = null;
      for (String site : sites) {
        last = advertise(site);
      }
      return assertInstanceOf(Transition.NextPhase.class, last);
    }

    private Transition.NextPhase shareAll(Transition.NextPhase sharing, List<String> sites)
        throws Round.Refusal {
      Transition last = null;
      for (Transition.Outbound outbound : sharing.messages()) {
        if (sites.contains(outbound.site())) {
          var adverts = (PhaseMessage.Adverts) outbound.message();
          last =
              round.acceptShares(
                  outbound.site(), clients.get(outbound.site()).shareKeys(adverts.bundle()));
        }
      }
      return assertInstanceOf(Transition.NextPhase.class, last);
    }

    private Transition sendInput(String site, float[] update, long weight) {
      return sendInput(site, update, weight, 0);
    }

    /**
     * A masked input whose weight element the sender shifted by {@code weightShift} after masking.
     */
    private Transition sendInput(String site, float[] update, long weight, int weightShift) {
      SecAggClient client = clients.get(site);
      MaskedInput input = client.maskedInput(update, weight);
      input.values()[input.values().length - 1] += weightShift;
      MaskedInputHeader header =
          MaskedInputHeader.newBuilder()
              .setBits(input.bits())
              .setTotalElements(input.values().length)
              .build();
      assertNull(round.admitMaskedInput(site, header));
      return round.contributeMasked(site, header, input.values());
    }

    private void receiveShares(Transition.NextPhase collecting) {
      for (Transition.Outbound outbound : collecting.messages()) {
        clients
            .get(outbound.site())
            .receiveShares(((PhaseMessage.Shares) outbound.message()).delivery());
      }
    }

    /** Every site told the survivor set signs it; UNMASKING must open once the last has signed. */
    private Transition.NextPhase confirmAll(Transition afterInputs) throws Round.Refusal {
      Transition.NextPhase confirming = assertInstanceOf(Transition.NextPhase.class, afterInputs);
      assertEquals(RoundPhase.CONFIRMING, confirming.phase());
      Transition last = confirm(confirming, sites(confirming));
      Transition.NextPhase unmasking = assertInstanceOf(Transition.NextPhase.class, last);
      return unmasking;
    }

    private static List<String> sites(Transition.NextPhase phase) {
      return phase.messages().stream().map(Transition.Outbound::site).toList();
    }

    private Transition confirm(Transition.NextPhase confirming, List<String> sites)
        throws Round.Refusal {
      Transition last = null;
      for (Transition.Outbound outbound : confirming.messages()) {
        if (sites.contains(outbound.site())) {
          var survivors = ((PhaseMessage.Survivors) outbound.message()).survivors();
          last =
              round.acceptSurvivorSignature(
                  outbound.site(), clients.get(outbound.site()).signSurvivors(survivors));
        }
      }
      return last;
    }

    private Transition unmask(Transition.NextPhase unmasking, List<String> sites)
        throws Round.Refusal {
      Transition last = null;
      for (Transition.Outbound outbound : unmasking.messages()) {
        if (sites.contains(outbound.site())) {
          var request = ((PhaseMessage.Unmask) outbound.message()).request();
          last =
              round.acceptUnmaskResponse(
                  outbound.site(), clients.get(outbound.site()).unmaskResponse(request));
        }
      }
      return last;
    }

    @Test
    void aWholeRoundGoesThroughEveryPhaseAndRevealsOnlyTheWeightedMean() throws Exception {
      start(2, 2);
      assertEquals(RoundPhase.ADVERTISING, round.phase());
      assertEquals(clock.instant().plus(PHASE), round.deadline());
      Transition.NextPhase sharing = advertiseAll(SITES);
      assertEquals(RoundPhase.SHARING, sharing.phase());
      assertEquals(SITES, sharing.messages().stream().map(Transition.Outbound::site).toList());
      var adverts = (PhaseMessage.Adverts) sharing.messages().get(0).message();
      assertEquals(
          4,
          adverts.signingCertificates().size(),
          "each advert travels with its signing certificate");

      Transition.NextPhase collecting = shareAll(sharing, SITES);
      assertEquals(RoundPhase.COLLECTING, collecting.phase());
      assertEquals(
          clock.instant().plus(DEADLINE),
          collecting.deadline(),
          "inputs may come until the round deadline");
      receiveShares(collecting);
      float[][] updates = {{0.1f, 0.2f}, {0.3f, -0.2f}, {-0.1f, 0.0f}, {0.5f, 0.4f}};
      long[] weights = {1, 2, 3, 4};
      Transition last = null;
      for (int i = 0; i < SITES.size(); i++) {
        last = sendInput(SITES.get(i), updates[i], weights[i]);
      }
      Transition.NextPhase unmasking = confirmAll(last);

      Transition.Aggregated aggregated =
          assertInstanceOf(Transition.Aggregated.class, unmask(unmasking, SITES));
      double[] expected = new double[2];
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 2; j++) {
          expected[j] += weights[i] * updates[i][j] / 10.0;
        }
      }
      assertEquals(10, aggregated.aggregate().totalWeight());
      assertEquals(4, aggregated.aggregate().contributions());
      for (int j = 0; j < 2; j++) {
        assertEquals(expected[j], aggregated.aggregate().delta()[j], 1e-4);
      }
      round.applied();
      assertEquals(RoundPhase.COMPLETED, round.phase());
    }

    @Test
    void theAdvertisingDeadlineGoesOnWithoutTheSilentSite() throws Exception {
      start(2, 2);
      for (String site : SITES.subList(0, 3)) {
        assertInstanceOf(Transition.Stay.class, advertise(site));
      }
      clock.advance(PHASE);
      Transition.NextPhase sharing =
          assertInstanceOf(Transition.NextPhase.class, round.expire(RoundPhase.ADVERTISING));
      assertEquals(
          SITES.subList(0, 3), sharing.messages().stream().map(Transition.Outbound::site).toList());
      assertEquals(SITES.subList(0, 3), round.active());
      assertEquals(clock.instant().plus(PHASE), sharing.deadline());
    }

    @Test
    void theSharingDeadlineAbandonsWhenTooFewShared() throws Exception {
      start(3, 3);
      Transition.NextPhase sharing = advertiseAll(SITES);
      var adverts = (PhaseMessage.Adverts) sharing.messages().get(0).message();
      for (String site : SITES.subList(0, 2)) {
        assertInstanceOf(
            Transition.Stay.class,
            round.acceptShares(site, clients.get(site).shareKeys(adverts.bundle())));
      }
      clock.advance(PHASE);
      Transition.Abandoned abandoned =
          assertInstanceOf(Transition.Abandoned.class, round.expire(RoundPhase.SHARING));
      assertFalse(abandoned.reason().isBlank());
      assertEquals(RoundPhase.ABANDONED, round.phase());
    }

    @Test
    void theCollectingDeadlineUnmasksWithWhoeverSentAnInput() throws Exception {
      start(2, 2);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      sendInput("site-a", new float[] {0.5f, 0.5f}, 1);
      sendInput("site-b", new float[] {0.1f, 0.1f}, 1);
      assertInstanceOf(Transition.Stay.class, sendInput("site-c", new float[] {0.3f, 0.3f}, 1));
      clock.advance(DEADLINE);
      Transition.NextPhase unmasking = confirmAll(round.expire(RoundPhase.COLLECTING));
      List<String> survivors = List.of("site-a", "site-b", "site-c");
      assertEquals(
          survivors, unmasking.messages().stream().map(Transition.Outbound::site).toList());
      Transition outcome = unmask(unmasking, survivors);
      Transition.Aggregated aggregated =
          assertInstanceOf(Transition.Aggregated.class, outcome, outcome::toString);
      assertEquals(
          0.3, aggregated.aggregate().delta()[0], 1e-4, "the dropped sites' masks were removed");
    }

    @Test
    void theCollectingDeadlineAbandonsBelowTheMinimum() throws Exception {
      start(2, 3);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      sendInput("site-a", new float[] {0.5f, 0.5f}, 1);
      sendInput("site-b", new float[] {0.5f, 0.5f}, 1);
      clock.advance(DEADLINE);
      Transition.Abandoned abandoned =
          assertInstanceOf(Transition.Abandoned.class, round.expire(RoundPhase.COLLECTING));
      assertTrue(abandoned.reason().contains("2 of the required 3"), abandoned.reason());
    }

    @Test
    void aSurvivorThatAnsweredAndThenLeftStillCounts() throws Exception {
      start(3, 3);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      Transition last = null;
      for (String site : SITES) {
        last = sendInput(site, new float[] {0.1f, 0.1f}, 1);
      }
      Transition.NextPhase unmasking = confirmAll(last);
      assertInstanceOf(
          Transition.Stay.class, unmask(unmasking, List.of("site-a", "site-b", "site-c")));
      // Their shares are in the engine already: leaving now takes nothing away.
      assertInstanceOf(Transition.Stay.class, round.leave("site-a", Round.Departure.DROPPED));
      assertInstanceOf(Transition.Stay.class, round.leave("site-b", Round.Departure.DROPPED));
      Transition outcome = unmask(unmasking, List.of("site-d"));
      assertInstanceOf(Transition.Aggregated.class, outcome, outcome::toString);
    }

    /**
     * A hostile site subtracts the others' weights from its own weight element, bringing the
     * unmasked total below what four contributors can send (at 0 the mean would be infinite). The
     * round is abandoned and nothing is applied.
     */
    @Test
    void aTotalWeightNoHonestSitesCouldSendAbandonsTheRound() throws Exception {
      Transition outcome = roundWithHostileWeight(new float[] {0.1f, 0.1f}, 1, -3);
      Transition.Abandoned abandoned = assertInstanceOf(Transition.Abandoned.class, outcome);
      assertTrue(abandoned.reason().contains("total weight"), abandoned.reason());
    }

    /**
     * Honest weights of 1000 each and a hostile weight element that brings the total down to the
     * minimum: the mean is Σ w·x / 4, far outside the clip every contribution was held to.
     */
    @Test
    void aMeanOutsideTheClipRangeAbandonsTheRound() throws Exception {
      Transition outcome = roundWithHostileWeight(new float[] {0.9f, 0.9f}, 1000, -3996);
      Transition.Abandoned abandoned = assertInstanceOf(Transition.Abandoned.class, outcome);
      assertTrue(abandoned.reason().contains("clip range"), abandoned.reason());
    }

    private Transition roundWithHostileWeight(float[] update, long weight, int shift)
        throws Exception {
      start(2, 2);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      Transition last = null;
      for (String site : SITES) {
        last = sendInput(site, update, weight, site.equals("site-d") ? shift : 0);
      }
      Transition.NextPhase unmasking = confirmAll(last);
      return unmask(unmasking, SITES);
    }

    /**
     * A survivor that goes silent in CONFIRMING is dropped at the phase deadline like a late site
     * in any other phase: its input stays in the sum, its neighbours reveal its self-mask.
     */
    @Test
    void theConfirmingDeadlineGoesOnWithoutTheSilentSurvivor() throws Exception {
      start(2, 2);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      Transition last = null;
      for (String site : SITES) {
        last = sendInput(site, new float[] {0.2f, 0.2f}, 1);
      }
      Transition.NextPhase confirming = assertInstanceOf(Transition.NextPhase.class, last);
      assertEquals(RoundPhase.CONFIRMING, confirming.phase());
      assertEquals(clock.instant().plus(PHASE), confirming.deadline());
      List<String> signers = List.of("site-a", "site-b", "site-c");
      assertInstanceOf(Transition.Stay.class, confirm(confirming, signers));
      clock.advance(PHASE);
      Transition.NextPhase unmasking =
          assertInstanceOf(Transition.NextPhase.class, round.expire(RoundPhase.CONFIRMING));
      assertEquals(signers, sites(unmasking));
      Transition outcome = unmask(unmasking, signers);
      Transition.Aggregated aggregated =
          assertInstanceOf(Transition.Aggregated.class, outcome, outcome::toString);
      assertEquals(4, aggregated.aggregate().contributions());
      assertEquals(0.2, aggregated.aggregate().delta()[0], 1e-4);
    }

    @Test
    void theConfirmingDeadlineAbandonsWhenTooFewSigned() throws Exception {
      start(3, 3);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      Transition last = null;
      for (String site : SITES) {
        last = sendInput(site, new float[] {0.1f, 0.1f}, 1);
      }
      Transition.NextPhase confirming = assertInstanceOf(Transition.NextPhase.class, last);
      assertInstanceOf(Transition.Stay.class, confirm(confirming, List.of("site-a", "site-b")));
      assertInstanceOf(Transition.Stay.class, round.leave("site-c", Round.Departure.DROPPED));
      assertInstanceOf(Transition.Abandoned.class, round.leave("site-d", Round.Departure.DROPPED));
    }

    @Test
    void theUnmaskingDeadlineAbandonsWithoutEnoughShares() throws Exception {
      start(3, 3);
      Transition.NextPhase collecting = shareAll(advertiseAll(SITES), SITES);
      receiveShares(collecting);
      Transition last = null;
      for (String site : SITES) {
        last = sendInput(site, new float[] {0.1f, 0.1f}, 1);
      }
      Transition.NextPhase unmasking = confirmAll(last);
      assertInstanceOf(Transition.Stay.class, unmask(unmasking, List.of("site-a", "site-b")));
      clock.advance(PHASE);
      assertInstanceOf(Transition.Abandoned.class, round.expire(RoundPhase.UNMASKING));
    }

    @Test
    void outOfPhaseAndMisattributedMessagesAreRefusedWithTypedErrors() throws Exception {
      start(2, 2);
      var advert = clients.get("site-a").advertiseKeys();
      Round.Refusal impersonation =
          assertThrows(
              Round.Refusal.class, () -> round.acceptAdvert("site-b", advert, der("site-b")));
      assertEquals(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH, impersonation.code);
      Round.Refusal wrongCertificate =
          assertThrows(
              Round.Refusal.class, () -> round.acceptAdvert("site-a", advert, der("site-b")));
      assertEquals(ErrorCode.ERROR_CODE_INVALID_SIGNATURE, wrongCertificate.code);
      assertEquals(
          ErrorCode.ERROR_CODE_WRONG_ROUND,
          round.admitMaskedInput(
              "site-a", MaskedInputHeader.newBuilder().setBits(32).setTotalElements(3).build()));
    }

    @Test
    void noPhaseDeadlineLiesBeyondTheHardDeadline() throws Exception {
      start(2, 2);
      assertEquals(
          clock.instant().plus(DEADLINE).plus(PHASE.multipliedBy(3)), round.hardDeadline());
      Transition.NextPhase sharing = advertiseAll(SITES);
      clock.advance(DEADLINE.plus(PHASE));
      // Sharing closes late: COLLECTING gets at most until the hard deadline.
      Transition.NextPhase collecting = shareAll(sharing, SITES);
      assertFalse(collecting.deadline().isAfter(round.hardDeadline()));
    }

    private byte[] der(String site) {
      try {
        return KITS.get(site).signingCertificate().getEncoded();
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new AssertionError(e);
      }
    }
  }

  private static ConsortiumCa CA;
  private static Map<String, StartupKit> KITS;
  private static Map<String, PrivateKey> SIGNING_KEYS;

  @BeforeAll
  static void issueKits(@TempDir Path dir) {
    CA = ConsortiumCa.create(dir.resolve("ca"), "Round Test Consortium");
    KITS =
        Secure.SITES.stream()
            .collect(
                Collectors.toMap(
                    site -> site,
                    site ->
                        CA.issue(
                            new ParticipantIdentity(site, Role.SITE), dir.resolve(site), List.of()),
                    (a, b) -> a,
                    LinkedHashMap::new));
    SIGNING_KEYS = new HashMap<>();
    KITS.forEach((site, kit) -> SIGNING_KEYS.put(site, SigningCertificates.signingKey(kit)));
  }
}
