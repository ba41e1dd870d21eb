package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, finding 3, over real mutual TLS: one site adds −2^30 to the weight element of its
 * masked input (masking is additive, so the unmasked total weight moves by the same amount). The
 * total then lies outside what the contributors could have sent, so every such round is abandoned,
 * nothing is applied, the model stays finite and unchanged, and no checkpoint is written — before
 * the fix the coordinator divided by the forged total and kept an infinite model for good.
 */
class HostileWeightTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");
  private static final int WEIGHT_SHIFT = -(1 << 30);

  /** The masked-input chunk that holds the weight element gets WEIGHT_SHIFT added to it. */
  private static final class WeightForger {
    private final int weightIndex;

    WeightForger(int weightIndex) {
      this.weightIndex = weightIndex;
    }

    private Envelope forge(Envelope envelope) {
      if (!envelope.hasTensorChunk()
          || envelope.getTensorChunk().getStream() != Stream.STREAM_MASKED_INPUT) {
        return envelope;
      }
      TensorChunk chunk = envelope.getTensorChunk();
      int first = Math.toIntExact(chunk.getOffset());
      int count = chunk.getData().size() / Integer.BYTES;
      if (weightIndex < first || weightIndex >= first + count) {
        return envelope;
      }
      ByteBuffer values = ByteBuffer.wrap(chunk.getData().toByteArray());
      values.order(ByteOrder.LITTLE_ENDIAN);
      int at = (weightIndex - first) * Integer.BYTES;
      values.putInt(at, values.getInt(at) + WEIGHT_SHIFT);
      return envelope.toBuilder()
          .setTensorChunk(chunk.toBuilder().setData(ByteString.copyFrom(values.array())))
          .build();
    }
  }

  @Test
  void aForgedWeightAbandonsTheRoundAndNothingIsApplied(@TempDir Path dir) throws Exception {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, SITES.size(), 3, 30));
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      float[] initial = coordinator.globalModel().parameters();
      for (int i = 0; i < SITES.size(); i++) {
        KnownUpdateTrainer trainer = new KnownUpdateTrainer(i, 100);
        federation.startSite(
            SITES.get(i),
            coordinator.port(),
            trainer,
            i > 0
                ? options -> options
                // The weight follows the model's parameters in the masked vector.
                : options ->
                    options.plaintextTap(
                        () ->
                            new FrameRewriter(
                                envelope ->
                                    Optional.of(
                                        new WeightForger(initial.length).forge(envelope)))));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> summaries.size() >= 2);
      for (RoundSummary summary : summaries) {
        assertEquals(RoundPhase.ABANDONED, summary.phase(), summary.toString());
        assertTrue(
            summary.abandonReason().contains("total weight"),
            "abandoned for the forged total: " + summary.abandonReason());
      }
      float[] model = coordinator.globalModel().parameters();
      assertArrayEquals(initial, model, "nothing applied");
      assertEquals(0, coordinator.globalModel().completedRounds());
    }
  }
}
