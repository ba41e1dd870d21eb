package org.cohort.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Runs whole rounds in memory: real keys, real crypto, only the network is replaced by method
 * calls.
 */
final class RoundHarness {
  static final String FEDERATION = "test-consortium";
  private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();

  /** The last step a dropped site completes before it disappears. */
  enum Dropout {
    BEFORE_ADVERTISING,
    AFTER_ADVERTISING,
    AFTER_SHARING,
    AFTER_MASKED_INPUT,
    /** Signed the survivor set, then vanished before the unmask request. */
    DURING_CONSISTENCY_CHECK,
    DURING_UNMASKING
  }

  record Outcome(
      AggregateResult result,
      SecAggException.RoundAbandoned abandoned,
      Set<ParticipantId> contributors,
      double[] expectedWeightedSum,
      long expectedTotalWeight) {}

  final List<ParticipantId> ids = new ArrayList<>();
  final Map<ParticipantId, KeyPair> signingKeys = new HashMap<>();
  final VerificationKeys verificationKeys;
  private final long seed;

  RoundHarness(int sites, long seed) {
    this.seed = seed;
    SecureRandom random = deterministic(seed);
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519", BOUNCY_CASTLE);
      generator.initialize(255, random);
      for (int i = 0; i < sites; i++) {
        ParticipantId id = ParticipantId.of(String.format("hospital-%03d", i));
        ids.add(id);
        signingKeys.put(id, generator.generateKeyPair());
      }
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    verificationKeys =
        participant -> {
          KeyPair pair = signingKeys.get(participant);
          if (pair == null) {
            throw new SecAggException.InvalidAdvertSignature("unknown participant " + participant);
          }
          return pair.getPublic();
        };
  }

  static SecureRandom deterministic(long seed) {
    try {
      SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
      random.setSeed(seed);
      return random;
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  RoundSetup setup(long round, SecAggParameters parameters) {
    byte[] graphSeed = new byte[32];
    deterministic(seed * 31 + round).nextBytes(graphSeed);
    return new RoundSetup(FEDERATION, round, ids, graphSeed, parameters);
  }

  SecAggClient client(RoundSetup setup, int index) {
    ParticipantId id = ids.get(index);
    return new SecAggClient(
        setup,
        id,
        signingKeys.get(id).getPrivate(),
        verificationKeys,
        deterministic(seed * 1_000_003L + setup.round() * 7919 + index));
  }

  PublicKey publicKey(int index) {
    return signingKeys.get(ids.get(index)).getPublic();
  }

  static float[][] updates(int sites, int length, long seed) {
    SecureRandom random = deterministic(seed);
    float[][] updates = new float[sites][length];
    for (float[] update : updates) {
      for (int i = 0; i < length; i++) {
        update[i] = (float) (random.nextDouble() * 3 - 1.5);
      }
    }
    return updates;
  }

  static long[] weights(int sites, long maxWeight, long seed) {
    SecureRandom random = deterministic(seed);
    long[] weights = new long[sites];
    for (int i = 0; i < sites; i++) {
      weights[i] = 1 + (long) (random.nextDouble() * maxWeight) % maxWeight;
    }
    return weights;
  }

  /** A round driven up to the point where every site holds its shares and may mask its input. */
  record Prepared(
      SecAggServer server,
      List<SecAggClient> clients,
      List<KeyAdvert> adverts,
      AdvertBundle advertBundle,
      List<ShareBundle> shareBundles,
      List<ShareDelivery> deliveries) {}

  Prepared prepare(RoundSetup setup) {
    Prepared round = prepareUntilShares(setup);
    for (int i = 0; i < round.clients().size(); i++) {
      round.clients().get(i).receiveShares(round.deliveries().get(i));
    }
    return round;
  }

  /** Like {@link #prepare} but the deliveries are not handed to the sites yet. */
  Prepared prepareUntilShares(RoundSetup setup) {
    SecAggServer server = new SecAggServer(setup, verificationKeys);
    List<SecAggClient> clients = new ArrayList<>();
    List<KeyAdvert> adverts = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      SecAggClient client = client(setup, i);
      clients.add(client);
      KeyAdvert advert = client.advertiseKeys();
      adverts.add(advert);
      server.acceptAdvert(advert);
    }
    AdvertBundle advertBundle = server.closeAdverts();
    List<ShareBundle> shareBundles = new ArrayList<>();
    for (SecAggClient client : clients) {
      ShareBundle bundle = client.shareKeys(advertBundle);
      shareBundles.add(bundle);
      server.acceptShares(bundle);
    }
    List<ShareDelivery> deliveries = server.closeShares();
    return new Prepared(server, clients, adverts, advertBundle, shareBundles, deliveries);
  }

  /**
   * Closes the input phase; every client that sent its input signs the survivor set. The unmask
   * requests, by recipient.
   */
  static Map<ParticipantId, UnmaskRequest> closeInputsAndSign(Prepared round) {
    SurvivorSet survivors = round.server().closeInputs();
    for (SecAggClient client : round.clients()) {
      if (client.phase() == SecAggClient.Phase.INPUT_SENT) {
        round.server().acceptSurvivorSignature(client.signSurvivors(survivors));
      }
    }
    Map<ParticipantId, UnmaskRequest> requests = new HashMap<>();
    round.server().closeSignatures().forEach(r -> requests.put(r.recipient(), r));
    return requests;
  }

  /**
   * Runs one round; sites in {@code dropouts} vanish after the given step, the others follow the
   * protocol.
   */
  Outcome run(
      RoundSetup setup, Map<ParticipantId, Dropout> dropouts, float[][] updates, long[] weights) {
    SecAggServer server = new SecAggServer(setup, verificationKeys);
    List<SecAggClient> clients = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      clients.add(client(setup, i));
    }
    Set<Integer> alive = new LinkedHashSet<>();
    Set<ParticipantId> contributors = new LinkedHashSet<>();
    for (int i = 0; i < ids.size(); i++) {
      if (dropouts.get(ids.get(i)) != Dropout.BEFORE_ADVERTISING) {
        server.acceptAdvert(clients.get(i).advertiseKeys());
        alive.add(i);
      }
    }
    try {
      AdvertBundle adverts = server.closeAdverts();
      vanish(alive, dropouts, Dropout.AFTER_ADVERTISING);
      for (int i : List.copyOf(alive)) {
        try {
          server.acceptShares(clients.get(i).shareKeys(adverts));
        } catch (SecAggException.RoundAbandoned tooFewNeighbours) {
          alive.remove(i);
        }
      }
      List<ShareDelivery> deliveries = server.closeShares();
      vanish(alive, dropouts, Dropout.AFTER_SHARING);
      for (ShareDelivery delivery : deliveries) {
        int i = ids.indexOf(delivery.recipient());
        if (!alive.contains(i)) {
          continue;
        }
        try {
          clients.get(i).receiveShares(delivery);
        } catch (SecAggException.RoundAbandoned tooFewShares) {
          alive.remove(i);
          continue;
        }
        server.acceptMaskedInput(clients.get(i).maskedInput(updates[i], weights[i]));
        contributors.add(ids.get(i));
      }
      SurvivorSet survivors = server.closeInputs();
      vanish(alive, dropouts, Dropout.AFTER_MASKED_INPUT);
      for (int i : alive) {
        server.acceptSurvivorSignature(clients.get(i).signSurvivors(survivors));
      }
      vanish(alive, dropouts, Dropout.DURING_CONSISTENCY_CHECK);
      for (UnmaskRequest request : server.closeSignatures()) {
        int i = ids.indexOf(request.recipient());
        if (!alive.contains(i)) {
          continue;
        }
        UnmaskResponse response = clients.get(i).unmaskResponse(request);
        if (dropouts.get(ids.get(i)) != Dropout.DURING_UNMASKING) {
          server.acceptUnmaskResponse(response);
        }
      }
      AggregateResult result = server.finish();
      return outcome(setup, result, null, contributors, updates, weights);
    } catch (SecAggException.RoundAbandoned abandoned) {
      return outcome(setup, null, abandoned, contributors, updates, weights);
    }
  }

  private void vanish(Set<Integer> alive, Map<ParticipantId, Dropout> dropouts, Dropout step) {
    alive.removeIf(i -> dropouts.get(ids.get(i)) == step);
  }

  private Outcome outcome(
      RoundSetup setup,
      AggregateResult result,
      SecAggException.RoundAbandoned abandoned,
      Set<ParticipantId> contributors,
      float[][] updates,
      long[] weights) {
    double clip = setup.parameters().clip();
    double[] expected = new double[setup.parameters().vectorLength()];
    long totalWeight = 0;
    for (ParticipantId id : contributors) {
      int i = ids.indexOf(id);
      totalWeight += weights[i];
      for (int j = 0; j < expected.length; j++) {
        expected[j] += weights[i] * Math.max(-clip, Math.min(clip, updates[i][j]));
      }
    }
    return new Outcome(result, abandoned, contributors, expected, totalWeight);
  }
}
