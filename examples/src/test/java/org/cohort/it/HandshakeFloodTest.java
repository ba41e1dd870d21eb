package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that never start TLS cannot exhaust the coordinator: at most {@code
 * max_pending_handshakes} are held at once, the rest are closed at accept, each held one ends at
 * the handshake timeout, and a legitimate site still gets in.
 */
class HandshakeFloodTest {

  private static final int MAX_PENDING = 4;
  private static final int FLOOD = 24;

  @Test
  void silentConnectionsAreBoundedAndALegitimateSiteStillConnects(@TempDir Path dir)
      throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      CoordinatorConfig config =
          CoordinatorConfig.load(
                  federation.writeCoordinatorConfig(
                      "coordinator.yaml",
                      new TestFederation.Settings(List.of("hospital-a", "hospital-b"), 2, 1, 20)
                          .plain()))
              .withTransport(
                  new CoordinatorConfig.Transport(
                      TestFederation.MAX_FRAME_BYTES, 5, 200, 3000, MAX_PENDING, 1000));
      List<Socket> silent = new ArrayList<>();
      AtomicInteger mostPending = new AtomicInteger();
      try (Coordinator coordinator = Coordinator.start(config)) {
        for (int i = 0; i < FLOOD; i++) {
          silent.add(new Socket("127.0.0.1", coordinator.port()));
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  mostPending.accumulateAndGet(coordinator.pendingHandshakes(), Math::max);
                  return coordinator.handshakesShed() >= FLOOD - MAX_PENDING;
                });
        SiteAgent site =
            federation.startSite("hospital-a", coordinator.port(), Trainers.real(federation, 0));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  mostPending.accumulateAndGet(coordinator.pendingHandshakes(), Math::max);
                  return site.isConnected();
                });
        assertTrue(
            mostPending.get() <= MAX_PENDING,
            "at most " + MAX_PENDING + " handshakes pending, saw " + mostPending.get());
        // The held silent connections end at the handshake timeout.
        await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.pendingHandshakes() == 0);
      } finally {
        for (Socket socket : silent) {
          socket.close();
        }
      }
    }
  }
}
