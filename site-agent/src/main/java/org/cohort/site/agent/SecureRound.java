package org.cohort.site.agent;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelHandlerContext;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggClient;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.protocol.v1.SignedKeyAdvert;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TaskDeclined;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.TensorChunkInput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's side of one secure round over the wire: drives a {@link SecAggClient} with the
 * coordinator's messages. Every engine call runs on the agent's secure-aggregation thread (never
 * the event loop; the client is not thread-safe, one thread serialises it), in this order:
 * advertise keys at once; share keys when the advert bundle arrives (each relayed signing
 * certificate checked against the consortium CA first); mask when both the share delivery and
 * the trained update are there; answer the unmask request. Any refusal by the engine is reported
 * as a decline with {@link DeclineReason#DECLINE_REASON_SECAGG_REFUSED} and ends this site's
 * part in the round.
 */
final class SecureRound {

  private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

  private final SiteAgent agent;
  private final ChannelHandlerContext ctx;
  private final Executor secureThread;
  private final RoundSetup setup;
  private final int chunkElements;
  private final long round;
  private final String federationId;
  // Confined to the secure-aggregation thread from here on.
  private final Map<ParticipantId, PublicKey> verificationKeys = new HashMap<>();
  private SecAggClient client;
  private boolean sharesReceived;
  private float[] update;
  private long examples;
  private LocalMetrics metrics;
  private boolean finished;
  private volatile boolean cancelled;

  SecureRound(SiteAgent agent, ChannelHandlerContext ctx, Executor secureThread, RoundSetup setup, int chunkElements) {
    this.agent = agent;
    this.ctx = ctx;
    this.secureThread = secureThread;
    this.setup = setup;
    this.chunkElements = chunkElements;
    this.round = setup.round();
    this.federationId = setup.federationId();
  }

  long round() {
    return round;
  }

  /** A newer task replaced this round: nothing more is sent for it. */
  void cancel() {
    cancelled = true;
  }

  void start() {
    run(() -> {
      SiteAgent.SigningIdentity identity = agent.signingIdentity();
      client = new SecAggClient(setup, ParticipantId.of(agent.siteId()), identity.signingKey(),
          SigningCertificates.resolver(verificationKeys), new SecureRandom());
      KeyAdvert advert = client.advertiseKeys();
      send(stamped().setKeyAdvert(SignedKeyAdvert.newBuilder()
          .setAdvert(ByteString.copyFrom(advert.encode()))
          .setSigningCertificate(ByteString.copyFrom(identity.signingCertificate()))).build());
    });
  }

  void adverts(org.cohort.protocol.v1.AdvertBundle message) {
    run(() -> {
      AdvertBundle bundle = AdvertBundle.decode(message.getBundle().toByteArray());
      List<ByteString> certificates = message.getSigningCertificatesList();
      if (certificates.size() != bundle.adverts().size()) {
        throw new SecAggException.MalformedMessage("advert bundle has " + bundle.adverts().size() + " adverts but "
            + certificates.size() + " signing certificates");
      }
      SiteAgent.SigningIdentity identity = agent.signingIdentity();
      for (int i = 0; i < certificates.size(); i++) {
        ParticipantId participant = bundle.adverts().get(i).participant();
        verificationKeys.put(participant, SigningCertificates.verificationKey(certificates.get(i).toByteArray(),
            identity.caCertificate(), identity.revocationList(), participant));
      }
      send(stamped().setShareBundle(payload(client.shareKeys(bundle).encode())).build());
    });
  }

  void shares(SecAggPayload message) {
    run(() -> {
      client.receiveShares(ShareDelivery.decode(message.getCanonical().toByteArray()));
      sharesReceived = true;
      maskWhenReady();
    });
  }

  /** The trained update (new − old parameters) and its example count. */
  void trained(float[] trainedUpdate, long exampleCount, LocalMetrics localMetrics) {
    run(() -> {
      update = trainedUpdate;
      examples = exampleCount;
      metrics = localMetrics;
      maskWhenReady();
    });
  }

  private void maskWhenReady() {
    if (!sharesReceived || update == null) {
      return;
    }
    // The weight is the example count, capped at the round's bound: the coordinator learns only the total.
    long weight = Math.min(examples, setup.parameters().maxWeight());
    MaskedInput input = client.maskedInput(update, weight);
    update = null;
    int[] values = input.values();
    Envelope header = stamped().setMaskedInputHeader(MaskedInputHeader.newBuilder()
        .setBits(input.bits()).setTotalElements(values.length).setMetrics(metrics)).build();
    ctx.executor().execute(() -> {
      if (cancelled || !ctx.channel().isActive()) {
        return;
      }
      ctx.write(header);
      ctx.writeAndFlush(TensorChunkInput.residues(values, chunkElements, federationId, round, Stream.STREAM_MASKED_INPUT))
          .addListener(f -> {
            if (f.isSuccess()) {
              agent.updateSent();
            }
          });
    });
  }

  void unmask(SecAggPayload message) {
    run(() -> {
      UnmaskRequest request = UnmaskRequest.decode(message.getCanonical().toByteArray());
      send(stamped().setUnmaskResponse(payload(client.unmaskResponse(request).encode())).build());
    });
  }

  /** Runs an engine step on the secure thread; a refusal ends this site's part in the round. */
  private void run(Runnable step) {
    secureThread.execute(() -> {
      if (finished || cancelled) {
        return;
      }
      try {
        step.run();
      } catch (SecAggException e) {
        finished = true;
        agent.secureAggregationRefused(e);
        log.warn("{}: round {}: refusing secure aggregation: {}", agent.siteId(), round, e.getMessage());
        send(stamped().setTaskDeclined(TaskDeclined.newBuilder()
            .setReason(DeclineReason.DECLINE_REASON_SECAGG_REFUSED)
            .setDetail(e.getClass().getSimpleName() + ": " + e.getMessage())).build());
      } catch (RuntimeException e) {
        finished = true;
        log.warn("{}: round {}: secure aggregation failed", agent.siteId(), round, e);
        send(stamped().setTaskDeclined(TaskDeclined.newBuilder()
            .setReason(DeclineReason.DECLINE_REASON_POLICY).setDetail("secure aggregation failed on the site")).build());
      }
    });
  }

  private void send(Envelope envelope) {
    if (!cancelled) {
      ctx.writeAndFlush(envelope);
    }
  }

  private Envelope.Builder stamped() {
    return Envelopes.stamped(federationId, round);
  }

  private static SecAggPayload payload(byte[] canonical) {
    return SecAggPayload.newBuilder().setCanonical(ByteString.copyFrom(canonical)).build();
  }
}
