package org.cohort.coordinator;

import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.cohort.coordinator.aggregate.AggregateUpdate;
import org.cohort.coordinator.aggregate.WeightedMean;
import org.cohort.crypto.secagg.AggregateResult;
import org.cohort.crypto.secagg.KeyAdvert;
import org.cohort.crypto.secagg.MaskedInput;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.crypto.secagg.SecAggServer;
import org.cohort.crypto.secagg.ShareBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.SurvivorSignature;
import org.cohort.crypto.secagg.UnmaskRequest;
import org.cohort.crypto.secagg.UnmaskResponse;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.metrics.SlotLayout;
import org.cohort.protocol.v1.LocalMetrics;

/**
 * The secure aggregator: an adapter over the network-free {@link SecAggServer} that adds what the
 * engine leaves to the transport — each advert's signing certificate checked against the consortium
 * CA and CRL, and the certificates relayed with the adverts. It answers for the engine's own
 * bookkeeping (who sent an input) instead of mirroring it. Engine refusals surface as {@link
 * org.cohort.crypto.secagg.SecAggException}s for {@link Round} to translate.
 */
final class SecureSum {

  private final RoundSetup setup;
  private final SecAggServer engine;
  private final Map<ParticipantId, PublicKey> verificationKeys = new HashMap<>();
  private final Map<ParticipantId, byte[]> signingCertificates = new HashMap<>();
  private final X509Certificate ca;
  private final Optional<X509CRL> revocationList;
  private final Function<int[], float[]> integerDecoder;
  private LocalMetrics pooledMetrics = MetricSums.NONE.pooled();

  /** A sum of fixed-point updates. */
  SecureSum(RoundSetup setup, X509Certificate ca, Optional<X509CRL> revocationList) {
    this(setup, ca, revocationList, null);
  }

  /**
   * @param integerDecoder for a setup with integer encoding: turns the unmasked residues into the
   *     decoded sum (the distributed-DP encoding's decoder); null for fixed point
   */
  SecureSum(
      RoundSetup setup,
      X509Certificate ca,
      Optional<X509CRL> revocationList,
      Function<int[], float[]> integerDecoder) {
    if ((setup.parameters().encoding() == SecAggParameters.Encoding.INTEGER)
        != (integerDecoder != null)) {
      throw new IllegalArgumentException("an integer-encoded sum needs its decoder, and only it");
    }
    this.integerDecoder = integerDecoder;
    this.setup = setup;
    this.ca = ca;
    this.revocationList = revocationList;
    this.engine = new SecAggServer(setup, SigningCertificates.resolver(verificationKeys));
  }

  RoundSetup setup() {
    return setup;
  }

  int threshold() {
    return setup.parameters().graph().threshold();
  }

  /** The advert must verify under a CA-issued SITE signing certificate naming its sender. */
  void acceptAdvert(KeyAdvert advert, byte[] signingCertificate) {
    ParticipantId id = advert.participant();
    verificationKeys.put(
        id, SigningCertificates.verificationKey(signingCertificate, ca, revocationList, id));
    try {
      engine.acceptAdvert(advert);
    } catch (RuntimeException e) {
      verificationKeys.remove(id);
      throw e;
    }
    signingCertificates.put(id, signingCertificate.clone());
  }

  PhaseMessage.Adverts closeAdverts() {
    var bundle = engine.closeAdverts();
    List<byte[]> certificates =
        bundle.adverts().stream().map(a -> signingCertificates.get(a.participant())).toList();
    return new PhaseMessage.Adverts(bundle, certificates);
  }

  void acceptShares(ShareBundle bundle) {
    engine.acceptShares(bundle);
  }

  /** The shares for each site that shared, by site id. */
  Map<String, ShareDelivery> closeShares() {
    Map<String, ShareDelivery> deliveries = new HashMap<>();
    for (ShareDelivery delivery : engine.closeShares()) {
      deliveries.put(delivery.recipient().value(), delivery);
    }
    return deliveries;
  }

  void add(String site, int bits, int[] values) {
    engine.acceptMaskedInput(
        new MaskedInput(setup.federationId(), setup.round(), ParticipantId.of(site), bits, values));
  }

  int maskedInputs() {
    return engine.maskedInputs();
  }

  SurvivorSet closeInputs() {
    return engine.closeInputs();
  }

  void acceptSurvivorSignature(SurvivorSignature signature) {
    engine.acceptSurvivorSignature(signature);
  }

  /** Each signer's own unmask request (its neighbours and their signatures), by site id. */
  Map<String, UnmaskRequest> closeSignatures() {
    Map<String, UnmaskRequest> requests = new HashMap<>();
    for (UnmaskRequest request : engine.closeSignatures()) {
      requests.put(request.recipient().value(), request);
    }
    return requests;
  }

  void acceptUnmaskResponse(UnmaskResponse response) {
    engine.acceptUnmaskResponse(response);
  }

  /**
   * Strips the masks off the sum: only Σ w·x, Σ w and the summed metric slots are ever revealed.
   * The sum is checked before anything uses it, because one site can add anything to its own masked
   * vector: the total weight must be one that honest contributors could have sent (each weight in
   * [1, max_weight]), and every coordinate of the mean within the clip (each site's update is
   * clipped to [−clip, clip] before it is masked) plus the quantization error. Otherwise the round
   * is abandoned. An integer-encoded sum is decoded instead, as its {@code AggregateUpdate}'s
   * delta: the noisy sum of the inputs, not their mean.
   */
  AggregateUpdate finish() {
    AggregateResult result = engine.finish();
    var parameters = setup.parameters();
    int contributors = result.contributors().size();
    long total = result.totalWeight();
    if (total < contributors || total > contributors * parameters.maxWeight()) {
      throw new SecAggException.RoundAbandoned(
          "round "
              + setup.round()
              + " abandoned: the unmasked total weight is outside what "
              + contributors
              + " contributors with weights in [1, "
              + parameters.maxWeight()
              + "] can send");
    }
    if (integerDecoder != null) {
      // Weight 1 each (checked above); the residues decode to the noisy sum of the inputs, whose
      // size the noise, not a clip range, bounds.
      double[] signed = result.weightedSum();
      int[] residues = new int[signed.length];
      for (int i = 0; i < residues.length; i++) {
        residues[i] = (int) (long) signed[i];
      }
      return new AggregateUpdate(integerDecoder.apply(residues), total, contributors);
    }
    SlotLayout layout = SlotLayout.forMaxSlot(parameters.maxWeight());
    if (parameters.countSlots() == layout.slotCount()) {
      pooledMetrics = MetricSums.fromSlots(result.countSums(), layout).pooled();
    }
    AggregateUpdate mean = WeightedMean.of(result.weightedSum(), total, contributors);
    double bound = parameters.clip() + parameters.sumErrorBound(contributors) / total;
    for (float value : mean.delta()) {
      if (!(Math.abs(value) <= bound)) {
        throw new SecAggException.RoundAbandoned(
            "round "
                + setup.round()
                + " abandoned: the unmasked mean leaves the clip range [-"
                + parameters.clip()
                + ", "
                + parameters.clip()
                + "] that every contribution was held to");
      }
    }
    return mean;
  }

  /**
   * The metrics of the pooled records of every contributor, from the count slots of the unmasked
   * sum; all unset until {@link #finish} succeeds.
   */
  LocalMetrics pooledMetrics() {
    return pooledMetrics;
  }
}
