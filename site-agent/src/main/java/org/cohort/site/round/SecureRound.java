package org.cohort.site.round;

import com.google.protobuf.ByteString;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggClient;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.metrics.SlotLayout;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.MaskedInputHeader;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.protocol.v1.SignedKeyAdvert;
import org.cohort.protocol.wire.Envelopes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's side of one secure round: drives a {@link SecAggClient} with the coordinator's
 * messages and is the masked encoding stage of a secure task. Every engine call runs on the
 * secure-aggregation thread (never the connection thread; the client is not thread-safe, one thread
 * serialises it), in this order: advertise keys at once; share keys when the advert bundle arrives
 * (each relayed signing certificate checked against the consortium CA first); mask when both the
 * share delivery and the trained update are there; sign the survivor set; answer the unmask request
 * only if the consistency check passes. Any refusal by the engine is reported as a decline with
 * {@link DeclineReason#DECLINE_REASON_SECAGG_REFUSED} ({@link
 * DeclineReason#DECLINE_REASON_INCONSISTENT_SURVIVORS} for a failed consistency check) and ends
 * this site's part in the round.
 */
final class SecureRound {

  private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

  private final RoundPipeline.Config config;
  private final RoundSetup setup;
  private final Consumer<Reply> replies;
  // Confined to the secure-aggregation thread from here on.
  private final Map<ParticipantId, PublicKey> verificationKeys = new HashMap<>();
  private SecAggClient client;
  private boolean sharesReceived;
  private Contribution pending;
  private ContributionLedger.BaseModel baseModel;
  private List<ParticipantId> advertisers;
  private List<ParticipantId> signedSurvivors;
  private boolean finished;
  private volatile boolean cancelled;

  /**
   * @param replies takes every message of the round; called on the secure-aggregation thread
   */
  SecureRound(RoundPipeline.Config config, RoundSetup setup, Consumer<Reply> replies) {
    this.config = config;
    this.setup = setup;
    this.replies = replies;
  }

  /** The task was superseded or its round ended: no further engine step runs. */
  void cancel() {
    cancelled = true;
  }

  void start() {
    run(
        () -> {
          SigningIdentity identity = config.signingIdentity().get();
          client =
              new SecAggClient(
                  setup,
                  ParticipantId.of(config.siteId()),
                  identity.signingKey(),
                  SigningCertificates.resolver(verificationKeys),
                  new SecureRandom());
          KeyAdvert advert = client.advertiseKeys();
          send(
              stamped()
                  .setKeyAdvert(
                      SignedKeyAdvert.newBuilder()
                          .setAdvert(ByteString.copyFrom(advert.encode()))
                          .setSigningCertificate(
                              ByteString.copyFrom(identity.signingCertificate())))
                  .build());
        });
  }

  void adverts(org.cohort.protocol.v1.AdvertBundle message) {
    run(
        () -> {
          AdvertBundle bundle = AdvertBundle.decode(message.getBundle().toByteArray());
          List<ByteString> certificates = message.getSigningCertificatesList();
          if (certificates.size() != bundle.adverts().size()) {
            throw new SecAggException.MalformedMessage(
                "advert bundle has "
                    + bundle.adverts().size()
                    + " adverts but "
                    + certificates.size()
                    + " signing certificates");
          }
          SigningIdentity identity = config.signingIdentity().get();
          for (int i = 0; i < certificates.size(); i++) {
            ParticipantId participant = bundle.adverts().get(i).participant();
            verificationKeys.put(
                participant,
                SigningCertificates.verificationKey(
                    certificates.get(i).toByteArray(),
                    identity.caCertificate(),
                    identity.revocationList(),
                    participant));
          }
          send(stamped().setShareBundle(payload(client.shareKeys(bundle).encode())).build());
          advertisers = bundle.adverts().stream().map(KeyAdvert::participant).toList();
        });
  }

  void shares(SecAggPayload message) {
    run(
        () -> {
          client.receiveShares(ShareDelivery.decode(message.getCanonical().toByteArray()));
          sharesReceived = true;
          maskWhenReady();
        });
  }

  /** The global model this round trains on, digested before training starts. */
  void baseModel(float[] global) {
    // Hashed on the secure thread, off the connection's event loop; training only reads global.
    run(() -> baseModel = ContributionLedger.BaseModel.of(global));
  }

  /** The encoding stage: masks {@code contribution} as soon as the share delivery is in as well. */
  void mask(Contribution contribution) {
    run(
        () -> {
          pending = contribution;
          maskWhenReady();
        });
  }

  private void maskWhenReady() {
    if (!sharesReceived || pending == null) {
      return;
    }
    // The weight is the example count, capped at the round's bound: the coordinator learns only the
    // total. The quantizer clips each coordinate to the round's clip range. The metrics travel as
    // count slots inside the masked vector, never beside it.
    // Differencing across rounds (no DP noise): one participant set per base model.
    requireUnusedBaseModel(advertisers);
    MaskedInput input;
    if (pending instanceof TrainedUpdate update) {
      long weight = Math.min(update.exampleCount(), setup.parameters().maxWeight());
      input = client.maskedInput(update.values(), weight, metricSlots(update.sums()));
    } else {
      input = client.maskedInput(((Contribution.Residues) pending).values());
    }
    int[] values = input.values();
    Envelope header =
        stamped()
            .setMaskedInputHeader(
                MaskedInputHeader.newBuilder()
                    .setBits(input.bits())
                    .setTotalElements(values.length))
            .build();
    pending = null;
    replies.accept(new Reply.MaskedUpload(header, values));
  }

  /**
   * The round's count slots: this site's metric sums if the round has room for them and they fit
   * its bound, else zeros (the site then adds nothing to the federation's figures).
   */
  private long[] metricSlots(MetricSums sums) {
    var parameters = setup.parameters();
    SlotLayout layout = SlotLayout.forMaxSlot(parameters.maxWeight());
    if (parameters.countSlots() == layout.slotCount()) {
      try {
        return sums.toSlots(layout);
      } catch (IllegalArgumentException e) {
        log.info(
            "{}: round {}: metrics left out of the masked vector: {}",
            config.siteId(),
            setup.round(),
            e.getMessage());
      }
    }
    return new long[parameters.countSlots()];
  }

  /** Signs the survivor set; the engine signs at most one per round. */
  void survivors(SecAggPayload message) {
    run(
        () -> {
          SurvivorSet survivors = SurvivorSet.decode(message.getCanonical().toByteArray());
          requireUnusedBaseModel(survivors.survivors());
          SurvivorSignature signature = client.signSurvivors(survivors);
          signedSurvivors = survivors.survivors();
          send(stamped().setSurvivorSignature(payload(signature.encode())).build());
        });
  }

  void unmask(SecAggPayload message) {
    run(
        () -> {
          UnmaskRequest request = UnmaskRequest.decode(message.getCanonical().toByteArray());
          UnmaskResponse response = client.unmaskResponse(request);
          config.contributions().revealed(baseModel, setup.round(), signedSurvivors);
          send(stamped().setUnmaskResponse(payload(response.encode())).build());
        });
  }

  /** Declines the round (ending this site's part) if the ledger refuses this participant set. */
  private void requireUnusedBaseModel(List<ParticipantId> participants) {
    if (baseModel == null) {
      throw new IllegalStateException("no base model digest before contributing");
    }
    config
        .contributions()
        .check(baseModel, setup.round(), participants)
        .ifPresent(
            refusal -> {
              throw new BaseModelReused(refusal);
            });
  }

  /** A ledger refusal, carried out of an engine step to be declined with its own reason. */
  private static final class BaseModelReused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Refusal refusal;

    BaseModelReused(Refusal refusal) {
      super(refusal.detail(), null, false, false);
      this.refusal = refusal;
    }
  }

  /** Runs an engine step on the secure thread; a refusal ends this site's part in the round. */
  private void run(Runnable step) {
    config
        .secureThread()
        .execute(
            () -> {
              if (finished || cancelled) {
                return;
              }
              try {
                step.run();
              } catch (SecAggException e) {
                finished = true;
                config.secureAggregationRefusals().accept(e);
                log.warn(
                    "{}: round {}: refusing secure aggregation: {}",
                    config.siteId(),
                    setup.round(),
                    e.getMessage());
                replies.accept(
                    Reply.declined(
                        setup.federationId(), setup.round(), Refusal.secureAggregation(e)));
              } catch (BaseModelReused e) {
                finished = true;
                log.warn(
                    "{}: round {}: declining: {}", config.siteId(), setup.round(), e.getMessage());
                replies.accept(Reply.declined(setup.federationId(), setup.round(), e.refusal));
              } catch (RuntimeException e) {
                finished = true;
                log.warn(
                    "{}: round {}: secure aggregation failed", config.siteId(), setup.round(), e);
                replies.accept(
                    Reply.declined(
                        setup.federationId(),
                        setup.round(),
                        new Refusal(
                            Refusal.Rule.SECURE_AGGREGATION_FAILED,
                            "secure aggregation failed on the site")));
              }
            });
  }

  private void send(Envelope envelope) {
    replies.accept(new Reply.Message(envelope));
  }

  private Envelope.Builder stamped() {
    return Envelopes.stamped(setup.federationId(), setup.round());
  }

  private static SecAggPayload payload(byte[] canonical) {
    return SecAggPayload.newBuilder().setCanonical(ByteString.copyFrom(canonical)).build();
  }
}
