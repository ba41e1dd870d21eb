package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cohort.coordinator.Coordinator;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only sites with a certificate from the consortium CA, a SITE role, an allowed id and a hello that
 * matches the certificate may join; refused peers do not disturb the federation.
 */
class AuthenticationTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

  @Test
  void untrustedUnknownAndLyingPeersAreRefusedWhileTheFederationCarriesOn(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 3, 20).plain());
      GatedTrainer gated = new GatedTrainer(Trainers.real(federation, 0), 1);
      SiteAgent a = federation.startSite("hospital-a", coordinator.port(), gated);
      SiteAgent b =
          federation.startSite("hospital-b", coordinator.port(), Trainers.real(federation, 1));
      await().atMost(Duration.ofSeconds(60)).until(gated::isHeld);

      // hospital-c's id, but a certificate from another CA.
      ConsortiumCa rogueCa = ConsortiumCa.create(dir.resolve("rogue-ca"), "it-consortium");
      StartupKit rogueKit =
          rogueCa.issue(
              new ParticipantIdentity("hospital-c", Role.SITE),
              dir.resolve("rogue-kit"),
              List.of());
      SiteAgent foreign =
          federation.startSite(
              "hospital-c",
              coordinator.port(),
              Trainers.real(federation, 2),
              options -> options.tls(MutualTls.client(rogueKit)));
      // No client certificate at all.
      var noCertificate = noClientCertificate(federation);
      SiteAgent anonymous =
          federation.startSite(
              "hospital-c",
              coordinator.port(),
              Trainers.real(federation, 2),
              options -> options.tls(noCertificate));
      await().atMost(Duration.ofSeconds(20)).until(() -> coordinator.handshakeFailures() >= 2);
      foreign.close();
      anonymous.close();

      // A valid site certificate whose hello claims to be another site.
      SiteAgent liar =
          federation.startSite(
              "hospital-c",
              coordinator.port(),
              Trainers.real(federation, 2),
              options -> options.claimSiteId("hospital-b"));
      await().atMost(Duration.ofSeconds(20)).until(() -> liar.lastError().isPresent());
      assertEquals(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH, liar.lastError().get().getCode());
      liar.close();

      // Valid certificates, but not a site of this federation / not a site at all.
      federation.kit("hospital-z", Role.SITE);
      SiteAgent stranger =
          federation.startSite("hospital-z", coordinator.port(), Trainers.real(federation, 2));
      federation.kit("auditor-1", Role.AUDITOR);
      SiteAgent auditor =
          federation.startSite("auditor-1", coordinator.port(), Trainers.real(federation, 2));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> stranger.lastError().isPresent() && auditor.lastError().isPresent());
      assertEquals(ErrorCode.ERROR_CODE_UNKNOWN_SITE, stranger.lastError().get().getCode());
      assertEquals(ErrorCode.ERROR_CODE_UNAUTHORIZED_ROLE, auditor.lastError().get().getCode());
      stranger.close();
      auditor.close();

      for (SiteAgent refused : List.of(foreign, anonymous, liar, stranger, auditor)) {
        assertEquals(0, refused.welcomes(), refused.siteId() + " must never be welcomed");
      }
      gated.release();
      await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.finished().isDone());
      assertEquals(3L, coordinator.finished().get());
      assertTrue(a.updatesSent() == 3 && b.updatesSent() == 3);
      assertTrue(coordinator.rejected(ErrorCode.ERROR_CODE_IDENTITY_MISMATCH) >= 1);
    }
  }

  private static io.netty.handler.ssl.SslContext noClientCertificate(TestFederation federation)
      throws Exception {
    return SslContextBuilder.forClient()
        .protocols("TLSv1.3")
        .trustManager(federation.siteKit("hospital-a").caCertificate())
        .build();
  }
}
