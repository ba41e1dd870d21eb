package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Hello;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tampering with secure aggregation is refused with typed errors while the federation carries on: a
 * key advert whose signature was altered in the relay (sites check every relayed advert against the
 * CA-checked signing certificate), a message naming another participant than the sender's
 * certificate, and a message replayed from an earlier round.
 */
class SecureHostileTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d");

  @Test
  void tamperedRelayedAdvertsForeignIdsAndReplaysAreRefusedAndTheRoundsComplete(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 3, 30));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      // a holds its round-3 training so that round 3 stays open while the hostile peer acts.
      KnownUpdateTrainer trainerA = new KnownUpdateTrainer(0, 100);
      GatedTrainer gatedA = new GatedTrainer(trainerA, 3);
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      ByteArrayOutputStream sentByD = new ByteArrayOutputStream();
      SiteAgent a =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              gatedA,
              options -> options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false)));
      SiteAgent b =
          federation.startSite("hospital-b", coordinator.port(), new KnownUpdateTrainer(1, 300));
      // d holds its round-1 training until c has joined, so rounds 2 and 3 have all four sites (t =
      // 2);
      // d dies in round 3 right after advertising its keys.
      GatedTrainer gatedD = new GatedTrainer(new KnownUpdateTrainer(3, 50), 1);
      SiteAgent d =
          federation.startSite(
              "hospital-d",
              coordinator.port(),
              gatedD,
              options ->
                  options.plaintextTap(
                      () ->
                          new PlaintextFrames(sentByD, e -> e.getRound() == 3 && e.hasKeyAdvert())),
              600_000);
      await().atMost(Duration.ofSeconds(30)).until(gatedD::isHeld);
      // c's relay is tampered with in round 2: one neighbour's advert signature has a flipped bit.
      SiteAgent c =
          federation.startSite(
              "hospital-c",
              coordinator.port(),
              new KnownUpdateTrainer(2, 700),
              options -> options.envelopeTap(TamperedAdvertSignature::new));
      await().atMost(Duration.ofSeconds(30)).until(c::isConnected);
      gatedD.release();

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> summaries.size() >= 2 && gatedA.isHeld() && !d.isConnected());
      assertEquals(
          RoundPhase.COMPLETED, summaries.get(0).phase(), summaries.get(0).abandonReason());
      // Round 2: c refuses the tampered bundle and leaves; a, b and d complete it.
      RoundSummary second = summaries.get(1);
      assertEquals(RoundPhase.COMPLETED, second.phase(), second.abandonReason());
      assertEquals(3, second.contributions());
      assertEquals(450, second.totalExamples());
      assertEquals(1, c.secureAggregationRefusals().size());
      assertInstanceOf(
          SecAggException.InvalidAdvertSignature.class, c.secureAggregationRefusals().get(0));
      assertTrue(
          a.secureAggregationRefusals().isEmpty() && b.secureAggregationRefusals().isEmpty());

      Envelope advertOfA = firstKeyAdvert(sentByA);
      Envelope advertOfD = firstKeyAdvert(sentByD);
      long openRound = 3;
      try (RawPeer peer =
          new RawPeer(MutualTls.client(federation.siteKit("hospital-d")), coordinator.port())) {
        peer.send(
            Envelopes.stamped("", 0)
                .setHello(Hello.newBuilder().setClaimedSiteId("hospital-d"))
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.hasBody(Envelope.BodyCase.WELCOME));
        // hospital-d's certificate, hospital-a's advert: another participant's id.
        peer.send(advertOfA.toBuilder().setRound(openRound).build());
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> peer.error(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH).isPresent());
        // d's own round-1 advert replayed into round 3 (restamped) and as it was.
        peer.send(advertOfD.toBuilder().setRound(openRound).build());
        peer.send(advertOfD);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    peer.received().stream()
                            .filter(
                                e ->
                                    e.hasError()
                                        && e.getError().getCode()
                                            == ErrorCode.ERROR_CODE_WRONG_ROUND)
                            .count()
                        == 2);
        assertTrue(peer.isOpen(), "refusals are not fatal");
        assertFalse(peer.error(ErrorCode.ERROR_CODE_WRONG_ROUND).get().getFatal());
      }

      gatedA.release();
      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      RoundSummary third = summaries.get(2);
      assertEquals(RoundPhase.COMPLETED, third.phase(), third.abandonReason());
      assertEquals(3, third.contributions(), "a, b and c complete round 3 after d died");
      assertEquals(1100, third.totalExamples());
      assertEquals(1, c.secureAggregationRefusals().size(), "c refused only the tampered relay");
      assertEquals(1.0, coordinator.rejected(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH));
      assertEquals(2.0, coordinator.rejected(ErrorCode.ERROR_CODE_WRONG_ROUND));
    }
  }

  /**
   * Flips one bit of the signature of the first advert (not the site's own) in the round-2 bundle.
   */
  private static final class TamperedAdvertSignature extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope envelope
          && envelope.hasAdvertBundle()
          && envelope.getRound() == 2) {
        AdvertBundle bundle =
            AdvertBundle.decode(envelope.getAdvertBundle().getBundle().toByteArray());
        List<KeyAdvert> adverts = new ArrayList<>(bundle.adverts());
        for (int i = 0; i < adverts.size(); i++) {
          KeyAdvert advert = adverts.get(i);
          if (!advert.participant().value().equals("hospital-c")) {
            byte[] signature = advert.signature();
            signature[0] ^= 1;
            adverts.set(
                i,
                new KeyAdvert(
                    advert.federationId(),
                    advert.round(),
                    advert.participant(),
                    advert.shareKey(),
                    advert.maskKey(),
                    signature));
            break;
          }
        }
        AdvertBundle tampered = new AdvertBundle(bundle.federationId(), bundle.round(), adverts);
        msg =
            envelope.toBuilder()
                .setAdvertBundle(
                    envelope.getAdvertBundle().toBuilder()
                        .setBundle(ByteString.copyFrom(tampered.encode())))
                .build();
      }
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * The first KeyAdvert envelope among the frames a plaintext tap captured (4-byte length, then the
   * envelope).
   */
  private static Envelope firstKeyAdvert(ByteArrayOutputStream captured)
      throws InvalidProtocolBufferException {
    byte[] bytes;
    synchronized (captured) {
      bytes = captured.toByteArray();
    }
    ByteBuffer frames = ByteBuffer.wrap(bytes);
    while (frames.remaining() >= 4) {
      byte[] body = new byte[frames.getInt()];
      frames.get(body);
      Envelope envelope = Envelope.parseFrom(body);
      if (envelope.hasKeyAdvert()) {
        return envelope;
      }
    }
    throw new AssertionError("no key advert captured");
  }
}
