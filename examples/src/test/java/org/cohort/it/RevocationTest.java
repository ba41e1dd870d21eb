package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.RevocationList;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocation reaches the sites and takes effect at once: the coordinator relays each new CA-signed
 * list, a site stores it in its kit and refuses a coordinator it revokes, a revoked site is ejected
 * within seconds and its round abandoned, and a site whose newest list has expired works no more.
 */
class RevocationTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");
  private static final ParticipantIdentity COORDINATOR =
      new ParticipantIdentity("coordinator", Role.COORDINATOR);

  @Test
  void aReissuedCoordinatorsOldKitIsRefusedBySitesOnceTheyHaveTheNewList(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      StartupKit siteKit = federation.siteKit("hospital-a");
      Path stolenKit = copyKit(dir.resolve("kits/coordinator"), dir.resolve("stolen-kit"));
      TestFederation.Settings settings = new TestFederation.Settings(SITES, 3, 1, 20).plain();
      Coordinator running = federation.startCoordinator("coordinator.yaml", settings);
      SiteAgent a =
          federation.startSite("hospital-a", running.port(), Trainers.real(federation, 0));
      await().atMost(Duration.ofSeconds(20)).until(a::isConnected);

      // The operator replaces the coordinator's kit (say, its key leaked): the old one is revoked.
      federation
          .ca()
          .reissue(COORDINATOR, dir.resolve("kits/coordinator"), List.of("localhost", "127.0.0.1"));
      BigInteger newest = federation.ca().revocationList().number();
      // The running coordinator relays the list at once; it revokes the certificate the
      // coordinator is still serving with, so the site leaves with a typed error.
      await().atMost(Duration.ofSeconds(20)).until(() -> a.coordinatorsRevoked() >= 1);
      assertEquals(Optional.of(newest), a.revocationListNumber());
      // Stored in the kit: it survives a restart of the site.
      assertEquals(
          newest,
          RevocationList.read(siteKit.files().revocationList(), siteKit.caCertificate()).number());
      a.close();
      running.close();

      // The legitimate coordinator, restarted with the new kit, is accepted.
      Coordinator legitimate = federation.startCoordinator("coordinator-new.yaml", settings);
      SiteAgent restarted =
          federation.startSite("hospital-a", legitimate.port(), Trainers.real(federation, 0));
      await().atMost(Duration.ofSeconds(20)).until(restarted::isConnected);
      restarted.close();
      legitimate.close();

      // Whoever holds the old kit runs a coordinator with protection off: an unmodified site
      // (a fresh agent on the same kit, which allows even plain rounds) never talks to it.
      CoordinatorConfig stolenConfig =
          CoordinatorConfig.load(federation.writeCoordinatorConfig("stolen.yaml", settings));
      try (Coordinator stolen =
          Coordinator.start(stolenConfig, MutualTls.server(StartupKit.load(stolenKit)))) {
        SiteAgent victim =
            federation.startSite("hospital-a", stolen.port(), Trainers.real(federation, 0));
        await().atMost(Duration.ofSeconds(20)).until(() -> stolen.handshakeFailures() >= 2);
        assertEquals(0, victim.welcomes());
        assertEquals(0, victim.updatesSent());
        victim.close();
      }
    }
  }

  @Test
  void aSiteRevokedWhileConnectedIsEjectedAndItsRoundAbandoned(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 3, 30).plain());
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      List<List<String>> startedAfterEjection = new CopyOnWriteArrayList<>();
      var ejected = new java.util.concurrent.atomic.AtomicBoolean();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundStarted(long round, List<String> participants) {
              if (ejected.get()) {
                startedAfterEjection.add(participants);
              }
            }

            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      // hospital-a holds its first training: round 1 (a and c) stays open after c has uploaded.
      GatedTrainer gated = new GatedTrainer(Trainers.real(federation, 0), 1);
      federation.startSite("hospital-a", coordinator.port(), gated);
      SiteAgent c =
          federation.startSite("hospital-c", coordinator.port(), Trainers.real(federation, 2));
      await().atMost(Duration.ofSeconds(60)).until(() -> gated.isHeld() && c.updatesSent() == 1);

      federation.ca().revoke("hospital-c");
      // The watch closes the connection: no handshake or round boundary is needed for that.
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.isConnected());
      ejected.set(true);
      assertEquals(ErrorCode.ERROR_CODE_REVOKED, c.lastError().orElseThrow().getCode());
      // c's upload is in the round's sum already: the round is abandoned, nothing applied.
      await().atMost(Duration.ofSeconds(10)).until(() -> summaries.size() >= 1);
      RoundSummary first = summaries.get(0);
      assertEquals(RoundPhase.ABANDONED, first.phase());
      assertTrue(first.abandonReason().contains("revoked"), first.abandonReason());
      gated.release();
      federation.startSite("hospital-b", coordinator.port(), Trainers.real(federation, 1));

      await().atMost(Duration.ofSeconds(90)).until(() -> coordinator.finished().isDone());
      assertEquals(1, c.updatesSent(), "hospital-c contributes to no round after its revocation");
      assertEquals(1, c.welcomes(), "a revoked site cannot rejoin");
      assertFalse(startedAfterEjection.isEmpty());
      for (List<String> participants : startedAfterEjection) {
        assertFalse(participants.contains("hospital-c"), participants.toString());
      }
      for (RoundSummary summary : summaries.subList(1, summaries.size())) {
        assertTrue(summary.contributions() <= 2, summary.progressLine());
      }
    }
  }

  @Test
  void aSiteWhoseNewestListHasExpiredServesNothingUntilItGetsAFreshOne(@TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              // More rounds than the test can run (a round takes milliseconds): the federation must
              // still be running when the list expires, or nobody would be tasked.
              new TestFederation.Settings(List.of("hospital-a", "hospital-b"), 1, 1_000_000, 2)
                  .plain());
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      SiteAgent a =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              Trainers.real(federation, 0),
              options -> options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false)));
      await().atMost(Duration.ofSeconds(30)).until(() -> a.updatesSent() >= 1);

      ConsortiumCa shortLived = federation.ca().withRevocationListValidity(Duration.ofSeconds(2));
      shortLived.refreshRevocationList();
      RevocationList expiring = shortLived.revocationList();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> a.revocationListNumber().equals(Optional.of(expiring.number())));
      await().atMost(Duration.ofSeconds(10)).until(() -> expiring.expiredAt(Instant.now()));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  SitePolicyTest.declines(
                          sentByA, DeclineReason.DECLINE_REASON_REVOCATION_LIST_EXPIRED)
                      >= 1);
      long uploadsWhileExpired = a.updatesSent();

      federation.ca().refreshRevocationList();
      await().atMost(Duration.ofSeconds(60)).until(() -> a.updatesSent() > uploadsWhileExpired);
    }
  }

  @Test
  void aCoordinatorThatRelaysARevokedSigningCertificateIsRefused(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      byte[] revokedSigningCertificate =
          federation.kit("hospital-d", Role.SITE).signingCertificate().getEncoded();
      // Secure rounds of all three sites: none starts before hospital-c joins.
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 3, 1, 20));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      SiteAgent a =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              Trainers.real(federation, 0),
              options ->
                  options.envelopeTap(() -> new RelaysCertificate(revokedSigningCertificate)));
      SiteAgent b =
          federation.startSite("hospital-b", coordinator.port(), Trainers.real(federation, 1));
      await().atMost(Duration.ofSeconds(20)).until(() -> a.isConnected() && b.isConnected());
      federation.ca().revoke("hospital-d");
      BigInteger newest = federation.ca().revocationList().number();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> a.revocationListNumber().equals(Optional.of(newest)));

      federation.startSite("hospital-c", coordinator.port(), Trainers.real(federation, 2));
      // The tap plays a coordinator that slips hospital-d's revoked certificate into the bundle.
      await().atMost(Duration.ofSeconds(30)).until(() -> a.coordinatorsRevoked() >= 1);
      assertEquals(0, a.updatesSent());
      // The round cannot go on without hospital-a; let it end before the sites are stopped.
      await().atMost(Duration.ofSeconds(30)).until(() -> !summaries.isEmpty());
      assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
    }
  }

  /** Replaces the first relayed signing certificate of every advert bundle. */
  private static final class RelaysCertificate extends ChannelInboundHandlerAdapter {
    private final byte[] certificate;

    RelaysCertificate(byte[] certificate) {
      this.certificate = certificate;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope envelope && envelope.hasAdvertBundle()) {
        msg =
            envelope.toBuilder()
                .setAdvertBundle(
                    envelope.getAdvertBundle().toBuilder()
                        .setSigningCertificates(0, ByteString.copyFrom(certificate)))
                .build();
      }
      ctx.fireChannelRead(msg);
    }
  }

  private static Path copyKit(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
    return to;
  }
}
