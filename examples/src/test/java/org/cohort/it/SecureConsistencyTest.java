package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.site.agent.SiteAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inconsistent-survivor-set attack of issue 10 (finding 2) over real mutual TLS: what reaches
 * each site is what a lying coordinator sends. Every site but the victim is told in its unmask
 * request that the victim survived and that all its other neighbours dropped — the requests that
 * together reveal the victim's exact update. Each such site checks the request against the survivor
 * set it signed (and its neighbours signed), declines with {@code
 * DECLINE_REASON_INCONSISTENT_SURVIVORS} and reveals nothing, so the round cannot be unmasked.
 * Before the consistency check each site accepted such a request (it only checked its own request
 * for a site in both lists).
 */
class SecureConsistencyTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d");
  private static final String VICTIM = "hospital-a";

  @Test
  void sitesToldInconsistentSurvivorSetsRevealNothing(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 4, 1, 30));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      List<SiteAgent> sites = new ArrayList<>();
      for (int i = 0; i < SITES.size(); i++) {
        String site = SITES.get(i);
        sites.add(
            federation.startSite(
                site,
                coordinator.port(),
                new KnownUpdateTrainer(i, 100),
                options -> options.envelopeTap(() -> new LyingUnmaskRequest(site))));
      }
      // The coordinator retries abandoned rounds; the first one is enough.
      await().atMost(Duration.ofSeconds(60)).until(() -> !summaries.isEmpty());
      assertEquals(RoundPhase.ABANDONED, summaries.get(0).phase());
      for (int i = 0; i < SITES.size(); i++) {
        SiteAgent site = sites.get(i);
        if (SITES.get(i).equals(VICTIM)) {
          assertTrue(site.secureAggregationRefusals().isEmpty(), "the victim's request was true");
          continue;
        }
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> !site.secureAggregationRefusals().isEmpty());
        SecAggException.ConsistencyCheckFailed refused =
            assertInstanceOf(
                SecAggException.ConsistencyCheckFailed.class,
                site.secureAggregationRefusals().get(0),
                SITES.get(i));
        assertEquals(
            SecAggException.ConsistencyCheckFailed.Reason.REQUEST_DIFFERS_FROM_SIGNED_SET,
            refused.reason());
      }
    }
  }

  /**
   * Rewrites the unmask request a site receives into the attack's: the victim survived, every other
   * neighbour but the recipient dropped. The genuine neighbour signatures stay.
   */
  private static final class LyingUnmaskRequest extends ChannelInboundHandlerAdapter {
    private final String recipient;

    LyingUnmaskRequest(String recipient) {
      this.recipient = recipient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Envelope envelope
          && envelope.hasUnmaskRequest()
          && !recipient.equals(VICTIM)) {
        UnmaskRequest genuine =
            UnmaskRequest.decode(envelope.getUnmaskRequest().getCanonical().toByteArray());
        List<ParticipantId> dropped = new ArrayList<>();
        for (String site : SITES) {
          if (!site.equals(VICTIM) && !site.equals(recipient)) {
            dropped.add(ParticipantId.of(site));
          }
        }
        UnmaskRequest lie =
            new UnmaskRequest(
                genuine.federationId(),
                genuine.round(),
                genuine.recipient(),
                List.of(ParticipantId.of(VICTIM)),
                dropped,
                genuine.signatures());
        msg =
            envelope.toBuilder()
                .setUnmaskRequest(
                    SecAggPayload.newBuilder().setCanonical(ByteString.copyFrom(lie.encode())))
                .build();
      }
      ctx.fireChannelRead(msg);
    }
  }
}
