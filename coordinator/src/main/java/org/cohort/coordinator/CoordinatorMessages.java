package org.cohort.coordinator;

import com.google.protobuf.ByteString;
import java.util.Optional;
import org.cohort.coordinator.strategy.RoundConfig;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.protocol.model.ModelLayout;
import org.cohort.protocol.v1.AdvertBundle;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.EvaluationTask;
import org.cohort.protocol.v1.Goodbye;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.PrivacySettings;
import org.cohort.protocol.v1.RoundResult;
import org.cohort.protocol.v1.RoundStatus;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.protocol.v1.Welcome;
import org.cohort.protocol.wire.Envelopes;

/** Every envelope the federation sends, built in one place. */
final class CoordinatorMessages {

  private final String federationId;
  private final ModelSpec model;
  private final ModelLayout layout;

  CoordinatorMessages(String federationId, ModelSpec model, ModelLayout layout) {
    this.federationId = federationId;
    this.model = model;
    this.layout = layout;
  }

  /**
   * The answer to a site's hello: its id as its certificate names it, and the connection's limits.
   */
  Envelope welcome(String siteId, int heartbeatIntervalMs, int maxFrameBytes, int chunkElements) {
    return Envelopes.stamped(federationId, 0)
        .setWelcome(
            Welcome.newBuilder()
                .setSiteId(siteId)
                .setHeartbeatIntervalMs(heartbeatIntervalMs)
                .setMaxFrameBytes(maxFrameBytes)
                .setChunkElements(chunkElements))
        .build();
  }

  /** A training task; {@code setup} is null for a plain round. The global model follows it. */
  Envelope task(
      long round,
      long deadlineUnixMs,
      RoundConfig config,
      RoundSetup setup,
      Optional<PrivacySettings> privacy) {
    RoundTask.Builder task =
        RoundTask.newBuilder()
            .setDeadlineUnixMs(deadlineUnixMs)
            .setModel(model)
            .addAllLayout(layout.tensors())
            .setTotalElements(layout.totalElements())
            .setTraining(config.training());
    if (setup != null) {
      task.setSecureAggregationSetup(ByteString.copyFrom(setup.encode()));
    }
    privacy.ifPresent(task::setPrivacy);
    return Envelopes.stamped(federationId, round).setRoundTask(task).build();
  }

  /** An evaluation-only task; the model to evaluate follows it. */
  Envelope evaluationTask(long round, long deadlineUnixMs) {
    return Envelopes.stamped(federationId, round)
        .setEvaluationTask(
            EvaluationTask.newBuilder()
                .setDeadlineUnixMs(deadlineUnixMs)
                .setModel(model)
                .addAllLayout(layout.tensors())
                .setTotalElements(layout.totalElements()))
        .build();
  }

  Envelope phaseMessage(long round, PhaseMessage message) {
    Envelope.Builder envelope = Envelopes.stamped(federationId, round);
    if (message instanceof PhaseMessage.Adverts adverts) {
      envelope.setAdvertBundle(
          AdvertBundle.newBuilder()
              .setBundle(ByteString.copyFrom(adverts.bundle().encode()))
              .addAllSigningCertificates(
                  adverts.signingCertificates().stream().map(ByteString::copyFrom).toList()));
    } else if (message instanceof PhaseMessage.Shares shares) {
      envelope.setShareDelivery(payload(shares.delivery().encode()));
    } else if (message instanceof PhaseMessage.Survivors survivors) {
      envelope.setSurvivorSet(payload(survivors.survivors().encode()));
    } else if (message instanceof PhaseMessage.Unmask unmask) {
      envelope.setUnmaskRequest(payload(unmask.request().encode()));
    }
    return envelope.build();
  }

  private static SecAggPayload payload(byte[] canonical) {
    return SecAggPayload.newBuilder().setCanonical(ByteString.copyFrom(canonical)).build();
  }

  /** How the round ended; never its total weight (a site could aim its own weight at it). */
  Envelope result(RoundSummary summary) {
    return Envelopes.stamped(federationId, summary.round())
        .setRoundResult(
            RoundResult.newBuilder()
                .setStatus(
                    summary.phase() == RoundPhase.COMPLETED
                        ? RoundStatus.ROUND_STATUS_COMPLETED
                        : RoundStatus.ROUND_STATUS_ABANDONED)
                .setContributions(summary.contributions())
                .setReason(summary.abandonReason()))
        .build();
  }

  Envelope goodbye(String reason, boolean federationFinished) {
    return Envelopes.stamped(federationId, 0)
        .setGoodbye(
            Goodbye.newBuilder().setReason(reason).setFederationFinished(federationFinished))
        .build();
  }

  /** A refusal after which the coordinator closes the connection. */
  Envelope fatalError(ErrorCode code, String detail) {
    return Envelopes.error(federationId, 0, code, detail, true);
  }

  /** A non-fatal, typed refusal; {@code detail} never carries secrets or patient values. */
  Envelope error(long round, ErrorCode code, String detail) {
    return Envelopes.error(federationId, round, code, detail, false);
  }
}
