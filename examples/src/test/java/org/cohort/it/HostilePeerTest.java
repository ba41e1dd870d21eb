package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cohort.coordinator.Coordinator;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Heartbeat;
import org.cohort.protocol.v1.Hello;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.ProtocolVersion;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed bytes, an over-limit frame and messages for the wrong round, federation or protocol
 * version each get a typed error (and a closed connection where the stream cannot be trusted),
 * while the coordinator keeps running rounds with the honest sites.
 */
class HostilePeerTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

  @Test
  void hostileInputIsRefusedAndTheOtherSitesAreStillServed(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 4, 20).plain());
      SiteAgent a =
          federation.startSite("hospital-a", coordinator.port(), Trainers.real(federation, 0));
      // b holds its round-2 training, so round 2 stays open while the hostile peers act.
      GatedTrainer gated = new GatedTrainer(Trainers.real(federation, 1), 2);
      SiteAgent b = federation.startSite("hospital-b", coordinator.port(), gated);
      await().atMost(Duration.ofSeconds(60)).until(gated::isHeld);
      var hostileTls = MutualTls.client(federation.siteKit("hospital-c"));

      try (RawPeer malformed = new RawPeer(hostileTls, coordinator.port())) {
        malformed.sendRaw(
            Unpooled.buffer()
                .writeInt(6)
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3, 4}));
        await().atMost(Duration.ofSeconds(10)).until(() -> !malformed.isOpen());
        assertTrue(malformed.error(ErrorCode.ERROR_CODE_MALFORMED).orElseThrow().getFatal());
      }

      try (RawPeer oversized = new RawPeer(hostileTls, coordinator.port())) {
        oversized.sendRaw(
            Unpooled.buffer().writeInt(TestFederation.MAX_FRAME_BYTES + 1).writeZero(64));
        await().atMost(Duration.ofSeconds(10)).until(() -> !oversized.isOpen());
        assertTrue(oversized.error(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE).isPresent());
      }

      try (RawPeer otherVersion = new RawPeer(hostileTls, coordinator.port())) {
        otherVersion.send(
            Envelopes.stamped(TestFederation.FEDERATION, 0)
                .setProtocolMajor(ProtocolVersion.MAJOR + 1)
                .setHello(Hello.newBuilder().setClaimedSiteId("hospital-c"))
                .build());
        await().atMost(Duration.ofSeconds(10)).until(() -> !otherVersion.isOpen());
        String detail =
            otherVersion.error(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION).orElseThrow().getDetail();
        assertTrue(
            detail.contains(
                    ProtocolVersion.describe(ProtocolVersion.MAJOR + 1, ProtocolVersion.MINOR))
                && detail.contains(
                    ProtocolVersion.describe(ProtocolVersion.MAJOR, ProtocolVersion.MINOR)),
            detail);
      }

      try (RawPeer confused = new RawPeer(hostileTls, coordinator.port())) {
        confused.send(
            Envelopes.stamped("", 0)
                .setHello(Hello.newBuilder().setClaimedSiteId("hospital-c"))
                .build());
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertTrue(
                        confused.hasBody(Envelope.BodyCase.WELCOME),
                        () -> "received " + confused.received()));
        confused.send(
            Envelopes.stamped(TestFederation.FEDERATION, 999)
                .setUpdateHeader(
                    UpdateHeader.newBuilder()
                        .setExampleCount(10)
                        .setTotalElements(TestFederation.FEATURES + 1))
                .build());
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> confused.error(ErrorCode.ERROR_CODE_WRONG_ROUND).isPresent());
        confused.send(
            Envelopes.stamped("another-federation", 0)
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(1))
                .build());
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> confused.error(ErrorCode.ERROR_CODE_WRONG_FEDERATION).isPresent());
        assertFalse(confused.error(ErrorCode.ERROR_CODE_WRONG_ROUND).get().getFatal());
        assertTrue(confused.isOpen(), "wrong-round and wrong-federation messages are not fatal");
      }

      // A peer that says hello and then nothing is dropped after the idle timeout; the honest
      // sites, whose heartbeats keep their connections alive while b trains, stay connected.
      try (RawPeer silent = new RawPeer(hostileTls, coordinator.port())) {
        silent.send(
            Envelopes.stamped("", 0)
                .setHello(Hello.newBuilder().setClaimedSiteId("hospital-c"))
                .build());
        await().atMost(Duration.ofSeconds(20)).until(() -> !silent.isOpen());
        assertTrue(silent.hasBody(Envelope.BodyCase.WELCOME));
      }
      assertTrue(a.isConnected() && b.isConnected());
      assertEquals(1, a.welcomes());
      assertEquals(1, b.welcomes());

      gated.release();
      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      assertEquals(4L, coordinator.finished().get());
      assertTrue(a.updatesSent() >= 4 && b.updatesSent() >= 4);
      assertEquals(1.0, coordinator.rejected(ErrorCode.ERROR_CODE_MALFORMED));
      assertEquals(1.0, coordinator.rejected(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE));
      assertEquals(1.0, coordinator.rejected(ErrorCode.ERROR_CODE_WRONG_ROUND));
      assertEquals(1.0, coordinator.rejected(ErrorCode.ERROR_CODE_WRONG_FEDERATION));
      assertTrue(coordinator.scrapeMetrics().contains("reason=\"ERROR_CODE_WRONG_ROUND\""));
    }
  }
}
