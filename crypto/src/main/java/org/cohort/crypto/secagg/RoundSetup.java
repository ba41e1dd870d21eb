package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's public announcement that starts a round: who takes part (list order fixes each
 * participant's index and Shamir point), the parameters, and a public seed that, with the signed
 * adverts, lays out the neighbour graph ({@link #graph}). 32-byte seed; encoded size ≈ 60 + 4·sites
 * + Σ id lengths bytes.
 */
public record RoundSetup(
    String federationId,
    long round,
    List<ParticipantId> participants,
    byte[] graphSeed,
    SecAggParameters parameters)
    implements SecAggMessage {
  static final int GRAPH_SEED_BYTES = 32;
  static final int MAX_SITES = 1 << 16;

  public RoundSetup {
    if (federationId == null || federationId.isEmpty()) {
      throw new SecAggException.InvalidParameters("federation id must not be empty");
    }
    participants = List.copyOf(participants);
    if (participants.size() != parameters.sites()) {
      throw new SecAggException.InvalidParameters(
          participants.size()
              + " participants listed but parameters are for sites="
              + parameters.sites());
    }
    if (participants.stream().distinct().count() != participants.size()) {
      throw new SecAggException.InvalidParameters("participants must be distinct");
    }
    if (graphSeed == null || graphSeed.length != GRAPH_SEED_BYTES) {
      throw new SecAggException.InvalidParameters("graph seed must be 32 bytes");
    }
    graphSeed = graphSeed.clone();
  }

  @Override
  public byte[] graphSeed() {
    return graphSeed.clone();
  }

  Map<ParticipantId, Integer> indexMap() {
    Map<ParticipantId, Integer> indices = new HashMap<>();
    for (int i = 0; i < participants.size(); i++) {
      indices.put(participants.get(i), i);
    }
    return indices;
  }

  /**
   * The round's neighbour graph, fixed only once the advert set is: it is laid out from this
   * setup's seed together with the canonical encoding of the signed adverts, whose fresh keys the
   * coordinator cannot know when it picks the seed. (It can still choose which adverts to admit,
   * and so grind over subsets of them; see the threat model.)
   */
  NeighbourGraph graph(AdvertBundle adverts) {
    byte[] bundle = adverts.encode();
    byte[] material = Arrays.copyOf(graphSeed, graphSeed.length + bundle.length);
    System.arraycopy(bundle, 0, material, graphSeed.length, bundle.length);
    return NeighbourGraph.of(parameters.graph(), participants.size(), material);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(MessageType.ROUND_SETUP, 128 + 32 * participants.size())
            .string(federationId)
            .i64(round)
            .raw(graphSeed);
    parameters.writeTo(out);
    out.i32(participants.size());
    participants.forEach(out::id);
    return out.toByteArray();
  }

  public static RoundSetup decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.ROUND_SETUP);
    String federationId = in.string(1024);
    long round = in.i64();
    byte[] seed = in.raw(GRAPH_SEED_BYTES);
    SecAggParameters parameters = SecAggParameters.readFrom(in);
    int count = in.count(MAX_SITES);
    List<ParticipantId> participants = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      participants.add(in.id());
    }
    in.expectEnd();
    try {
      return new RoundSetup(federationId, round, participants, seed, parameters);
    } catch (SecAggException.InvalidParameters e) {
      throw new SecAggException.MalformedMessage("invalid round setup: " + e.getMessage());
    }
  }
}
