package org.cohort.crypto.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kits issued by the CA work end to end as provisioning lays them out, before and after a site is
 * added, and a revocation published into the coordinator's kit locks the revoked site out.
 */
class ProvisionedKitsTlsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir Path root;
  private Loopback loopback;
  private ConsortiumCa ca;

  @BeforeEach
  void start() {
    loopback = new Loopback();
    ca = ConsortiumCa.create(root.resolve("ca"), "demo");
  }

  @AfterEach
  void stop() {
    loopback.close();
  }

  @Test
  void sitesAddedLaterAndExistingSitesAreBothAcceptedAndRevocationLocksOut() throws Exception {
    StartupKit coordinator = issue("coordinator", Role.COORDINATOR, List.of("localhost"));
    issue("hospital-a", Role.SITE, List.of());
    issue("hospital-b", Role.SITE, List.of());
    try (Loopback.EchoServer server = loopback.server(MutualTls.server(coordinator))) {
      issue("hospital-c", Role.SITE, List.of());

      assertEquals("a", exchange(server, "hospital-a").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertEquals("c", exchange(server, "hospital-c").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      await().atMost(PATIENCE).until(() -> server.peers.size() == 2);
      assertTrue(server.peers.contains(new ParticipantIdentity("hospital-c", Role.SITE)));

      ca.revoke("hospital-a");
      ca.publishRevocationList(coordinator.directory());

      CompletableFuture<String> refused = exchange(server, "hospital-a");
      await().atMost(PATIENCE).until(refused::isDone);
      assertTrue(refused.isCompletedExceptionally(), "revoked hospital-a was served");
      assertEquals("b", exchange(server, "hospital-b").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
  }

  private StartupKit issue(String id, Role role, List<String> hostNames) {
    return ca.issue(new ParticipantIdentity(id, role), root.resolve("kits").resolve(id), hostNames);
  }

  private CompletableFuture<String> exchange(Loopback.EchoServer server, String siteId) {
    StartupKit kit = StartupKit.load(root.resolve("kits").resolve(siteId));
    return loopback.exchange(
        MutualTls.client(kit), "localhost", server.port(), siteId.substring(9));
  }
}
