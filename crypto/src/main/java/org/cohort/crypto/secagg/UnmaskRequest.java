package org.cohort.crypto.secagg;

import java.util.ArrayList;
import java.util.List;

/**
 * Coordinator → surviving sites: whose masked input arrived ({@code survivors}: reveal their
 * self-mask shares) and who sent shares but no masked input ({@code dropped}: reveal their mask-key
 * shares). A site refuses a request naming anyone in both lists.
 */
public record UnmaskRequest(
    String federationId, long round, List<ParticipantId> survivors, List<ParticipantId> dropped)
    implements SecAggMessage {
  public UnmaskRequest {
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(
                MessageType.UNMASK_REQUEST, 64 + 24 * (survivors.size() + dropped.size()))
            .string(federationId)
            .i64(round)
            .i32(survivors.size());
    survivors.forEach(out::id);
    out.i32(dropped.size());
    dropped.forEach(out::id);
    return out.toByteArray();
  }

  public static UnmaskRequest decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.UNMASK_REQUEST);
    String federationId = in.string(1024);
    long round = in.i64();
    List<ParticipantId> survivors = readIds(in);
    List<ParticipantId> dropped = readIds(in);
    in.expectEnd();
    return new UnmaskRequest(federationId, round, survivors, dropped);
  }

  private static List<ParticipantId> readIds(CanonicalReader in) {
    int count = in.count(RoundSetup.MAX_SITES);
    List<ParticipantId> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(in.id());
    }
    return ids;
  }
}
