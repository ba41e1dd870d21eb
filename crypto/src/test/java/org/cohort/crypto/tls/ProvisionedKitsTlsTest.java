package org.cohort.crypto.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.ProvisionCommand;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kits made by the provisioning CLI work end to end, before and after add-site and revoke. */
class ProvisionedKitsTlsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path root;
    private Loopback loopback;

    @BeforeEach
    void start() {
        loopback = new Loopback();
    }

    @AfterEach
    void stop() {
        loopback.close();
    }

    @Test
    void sitesAddedLaterAndExistingSitesAreBothAcceptedAndRevocationLocksOut() throws Exception {
        provision("init", "--out", root.toString(), "--consortium", "demo", "--federation-id", "demo",
                "--coordinator-host", "localhost", "--sites", "hospital-a,hospital-b");
        StartupKit coordinator = StartupKit.load(root.resolve("kits/coordinator"));
        try (Loopback.EchoServer server = loopback.server(MutualTls.server(coordinator))) {
            provision("add-site", "--out", root.toString(), "--site", "hospital-c");

            assertEquals("a", exchange(server, "hospital-a").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertEquals("c", exchange(server, "hospital-c").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            await().atMost(PATIENCE).until(() -> server.peers.size() == 2);
            assertTrue(server.peers.contains(new ParticipantIdentity("hospital-c", Role.SITE)));

            provision("revoke", "--out", root.toString(), "--participant", "hospital-a");

            CompletableFuture<String> refused = exchange(server, "hospital-a");
            await().atMost(PATIENCE).until(refused::isDone);
            assertTrue(refused.isCompletedExceptionally(), "revoked hospital-a was served");
            assertEquals("b", exchange(server, "hospital-b").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        }
    }

    private CompletableFuture<String> exchange(Loopback.EchoServer server, String siteId) {
        StartupKit kit = StartupKit.load(root.resolve("kits").resolve(siteId));
        return loopback.exchange(MutualTls.client(kit), "localhost", server.port(), siteId.substring(9));
    }

    private static void provision(String... args) {
        StringWriter err = new StringWriter();
        int code = ProvisionCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
        assertEquals(0, code, err.toString());
    }
}
