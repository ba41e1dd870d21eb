package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.AggregateResult;
import org.cohort.crypto.secagg.GraphPlan;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggClient;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.crypto.secagg.SecAggServer;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.crypto.secagg.VerificationKeys;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.metrics.SlotLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.SecAggPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secure task through the pipeline with real keys and the real engine: hospital-a is the
 * pipeline, hospital-b and -c are bare SecAggClients, and a SecAggServer plays the coordinator. The
 * unmasked aggregate must contain hospital-a's update, clipped per coordinate by the quantizer.
 */
class SecureRoundPipelineTest {

  private static final String FEDERATION = "fed";
  private static final long ROUND = 5;
  private static final List<ParticipantId> SITES =
      List.of(
          ParticipantId.of("hospital-a"),
          ParticipantId.of("hospital-b"),
          ParticipantId.of("hospital-c"));
  private static final double CLIP = 1.0;

  @Test
  void aSecureTaskIsMaskedAndItsUpdateCountsInTheUnmaskedSum(@TempDir Path dir)
      throws CertificateEncodingException {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test-consortium");
    Map<ParticipantId, StartupKit> kits = new HashMap<>();
    Map<ParticipantId, PublicKey> verification = new HashMap<>();
    for (ParticipantId site : SITES) {
      StartupKit kit =
          ca.issue(
              new ParticipantIdentity(site.value(), Role.SITE),
              dir.resolve(site.value()),
              List.of());
      kits.put(site, kit);
      verification.put(
          site,
          SigningCertificates.verificationKey(
              kit.signingCertificate().getEncoded(), kit.caCertificate(), Optional.empty(), site));
    }
    VerificationKeys keys = SigningCertificates.resolver(verification);
    SecAggParameters parameters =
        new SecAggParameters(3, RoundPipelineTest.ELEMENTS, GraphPlan.complete(3, 2), CLIP, 1000)
            .withCountSlots(SlotLayout.forMaxSlot(1000).slotCount());
    RoundSetup setup = new RoundSetup(FEDERATION, ROUND, SITES, new byte[32], parameters);

    List<Reply> sent = new ArrayList<>();
    StartupKit kitA = kits.get(SITES.get(0));
    SigningIdentity identityA =
        new SigningIdentity(
            SigningCertificates.signingKey(kitA),
            kitA.signingCertificate().getEncoded(),
            kitA.caCertificate(),
            Optional.empty());
    RoundPipeline.Config config =
        new RoundPipeline.Config(
            "hospital-a",
            () -> identityA,
            e -> {
              throw new AssertionError("refused: " + e.getMessage());
            },
            new RoundPipelineTest.FakeTrainer(),
            new TaskPolicy(
                1000,
                AggregationPolicy.PLAIN_ALLOWED,
                PrivacyPolicy.DEFAULT,
                () -> Optional.of(Instant.MAX)),
            List.of(),
            Runnable::run,
            Runnable::run);
    RoundPipeline siteA = new RoundPipeline(config, Runnable::run, sent::add);
    List<SecAggClient> others = List.of(client(setup, 1, kits, keys), client(setup, 2, kits, keys));

    siteA.welcomed(FEDERATION);
    siteA.roundTask(
        ROUND,
        RoundPipelineTest.task().toBuilder()
            .setSecureAggregationSetup(ByteString.copyFrom(setup.encode()))
            .build());
    SecAggServer coordinator = new SecAggServer(setup, keys);
    coordinator.acceptAdvert(
        KeyAdvert.decode(message(sent, 0).getKeyAdvert().getAdvert().toByteArray()));
    for (SecAggClient other : others) {
      coordinator.acceptAdvert(other.advertiseKeys());
    }
    AdvertBundle adverts = coordinator.closeAdverts();
    org.cohort.protocol.v1.AdvertBundle.Builder relayed =
        org.cohort.protocol.v1.AdvertBundle.newBuilder()
            .setBundle(ByteString.copyFrom(adverts.encode()));
    for (KeyAdvert advert : adverts.adverts()) {
      relayed.addSigningCertificates(
          ByteString.copyFrom(kits.get(advert.participant()).signingCertificate().getEncoded()));
    }
    siteA.adverts(ROUND, relayed.build());

    coordinator.acceptShares(
        ShareBundle.decode(message(sent, 1).getShareBundle().getCanonical().toByteArray()));
    for (SecAggClient other : others) {
      coordinator.acceptShares(other.shareKeys(adverts));
    }
    List<ShareDelivery> deliveries = coordinator.closeShares();
    for (ShareDelivery delivery : deliveries) {
      int index = SITES.indexOf(delivery.recipient());
      if (index == 0) {
        siteA.shares(ROUND, payload(delivery.encode()));
      } else {
        others.get(index - 1).receiveShares(delivery);
      }
    }
    RoundPipelineTest.sendModel(siteA, ROUND, RoundPipelineTest.global());

    Reply.MaskedUpload masked = assertInstanceOf(Reply.MaskedUpload.class, sent.get(2));
    assertTrue(
        sent.stream().noneMatch(r -> r instanceof Reply.PlainUpload), "nothing goes in the clear");
    assertEquals(
        parameters.maskedLength(), masked.header().getMaskedInputHeader().getTotalElements());

    coordinator.acceptMaskedInput(
        new MaskedInput(
            FEDERATION,
            ROUND,
            SITES.get(0),
            masked.header().getMaskedInputHeader().getBits(),
            masked.residues()));
    float[] otherUpdate = new float[RoundPipelineTest.ELEMENTS];
    Arrays.fill(otherUpdate, -0.125f);
    for (SecAggClient other : others) {
      coordinator.acceptMaskedInput(other.maskedInput(otherUpdate, 10));
    }
    SurvivorSet survivors = coordinator.closeInputs();
    siteA.survivors(ROUND, payload(survivors.encode()));
    coordinator.acceptSurvivorSignature(
        SurvivorSignature.decode(
            message(sent, 3).getSurvivorSignature().getCanonical().toByteArray()));
    for (SecAggClient other : others) {
      coordinator.acceptSurvivorSignature(other.signSurvivors(survivors));
    }
    List<UnmaskRequest> requests = coordinator.closeSignatures();
    siteA.unmask(ROUND, payload(requests.get(0).encode()));
    coordinator.acceptUnmaskResponse(
        UnmaskResponse.decode(message(sent, 4).getUnmaskResponse().getCanonical().toByteArray()));
    for (int i = 0; i < others.size(); i++) {
      coordinator.acceptUnmaskResponse(others.get(i).unmaskResponse(requests.get(i + 1)));
    }
    AggregateResult aggregate = coordinator.finish();
    assertSecondRoundOnTheSameBaseModelWithOtherSitesIsDeclined(
        siteA, sent, parameters, kits, keys);

    assertEquals(
        42 + 10 + 10, aggregate.totalWeight(), "hospital-a is weighted by its example count");
    assertEquals(
        RoundPipelineTest.FakeTrainer.SUMS.pooled(),
        MetricSums.fromSlots(aggregate.countSums(), SlotLayout.forMaxSlot(1000)).pooled(),
        "hospital-a's metric sums (the others sent zeros) come out of the unmasked sum");
    float[] delta = RoundPipelineTest.FakeTrainer.delta();
    for (int i = 0; i < delta.length; i++) {
      double expected = 42 * Math.min(CLIP, delta[i]) + 2 * 10 * -0.125;
      assertEquals(
          expected, aggregate.weightedSum()[i], parameters.sumErrorBound(3), "coordinate " + i);
    }
  }

  /**
   * Finding 7b: the coordinator offers the same global model again, and this time claims that
   * hospital-c dropped after sharing. The difference of the two sums would be hospital-c's update,
   * so hospital-a declines to sign the survivor set: it reveals none of its shares.
   */
  private static void assertSecondRoundOnTheSameBaseModelWithOtherSitesIsDeclined(
      RoundPipeline siteA,
      List<Reply> sent,
      SecAggParameters parameters,
      Map<ParticipantId, StartupKit> kits,
      VerificationKeys keys) {
    long round = ROUND + 1;
    RoundSetup setup = new RoundSetup(FEDERATION, round, SITES, new byte[32], parameters);
    int before = sent.size();
    siteA.roundTask(
        round,
        RoundPipelineTest.task().toBuilder()
            .setSecureAggregationSetup(ByteString.copyFrom(setup.encode()))
            .build());
    SecAggServer coordinator = new SecAggServer(setup, keys);
    List<SecAggClient> others = List.of(client(setup, 1, kits, keys), client(setup, 2, kits, keys));
    coordinator.acceptAdvert(
        KeyAdvert.decode(message(sent, before, round).getKeyAdvert().getAdvert().toByteArray()));
    others.forEach(other -> coordinator.acceptAdvert(other.advertiseKeys()));
    AdvertBundle adverts = coordinator.closeAdverts();
    org.cohort.protocol.v1.AdvertBundle.Builder relayed =
        org.cohort.protocol.v1.AdvertBundle.newBuilder()
            .setBundle(ByteString.copyFrom(adverts.encode()));
    for (KeyAdvert advert : adverts.adverts()) {
      relayed.addSigningCertificates(
          ByteString.copyFrom(
              uncheckedEncoded(kits.get(advert.participant()).signingCertificate())));
    }
    siteA.adverts(round, relayed.build());
    coordinator.acceptShares(
        ShareBundle.decode(
            message(sent, before + 1, round).getShareBundle().getCanonical().toByteArray()));
    others.forEach(other -> coordinator.acceptShares(other.shareKeys(adverts)));
    for (ShareDelivery delivery : coordinator.closeShares()) {
      int index = SITES.indexOf(delivery.recipient());
      if (index == 0) {
        siteA.shares(round, payload(delivery.encode()));
      } else {
        others.get(index - 1).receiveShares(delivery);
      }
    }
    RoundPipelineTest.sendModel(siteA, round, RoundPipelineTest.global());
    Reply.MaskedUpload masked = assertInstanceOf(Reply.MaskedUpload.class, sent.get(before + 2));
    coordinator.acceptMaskedInput(
        new MaskedInput(
            FEDERATION,
            round,
            SITES.get(0),
            masked.header().getMaskedInputHeader().getBits(),
            masked.residues()));
    coordinator.acceptMaskedInput(
        others.get(0).maskedInput(new float[RoundPipelineTest.ELEMENTS], 10));
    siteA.survivors(round, payload(coordinator.closeInputs().encode()));

    assertEquals(before + 4, sent.size());
    assertEquals(
        DeclineReason.DECLINE_REASON_BASE_MODEL_REUSED,
        message(sent, before + 3, round).getTaskDeclined().getReason(),
        "no survivor signature, so no share, on a reused base model with another set");
  }

  private static byte[] uncheckedEncoded(java.security.cert.X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new AssertionError(e);
    }
  }

  private static SecAggClient client(
      RoundSetup setup, int index, Map<ParticipantId, StartupKit> kits, VerificationKeys keys) {
    ParticipantId site = SITES.get(index);
    return new SecAggClient(
        setup, site, SigningCertificates.signingKey(kits.get(site)), keys, new SecureRandom());
  }

  private static Envelope message(List<Reply> sent, int index) {
    return message(sent, index, ROUND);
  }

  private static Envelope message(List<Reply> sent, int index, long round) {
    Envelope envelope = assertInstanceOf(Reply.Message.class, sent.get(index)).envelope();
    assertEquals(round, envelope.getRound());
    return envelope;
  }

  private static SecAggPayload payload(byte[] canonical) {
    return SecAggPayload.newBuilder().setCanonical(ByteString.copyFrom(canonical)).build();
  }
}
