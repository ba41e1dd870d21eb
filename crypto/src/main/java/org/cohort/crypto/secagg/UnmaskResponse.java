package org.cohort.crypto.secagg;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Site → coordinator: its shares of the self-mask seeds of survivors and of the mask keys of
 * dropped sites, each tagged with the owner. Size ≈ 30 + k·(4+|id|+33) bytes.
 */
public record UnmaskResponse(
    String federationId,
    long round,
    ParticipantId responder,
    List<RevealedShare> selfMaskShares,
    List<RevealedShare> maskKeyShares)
    implements SecAggMessage {

  /** The responder's share (at the responder's point) of one owner's secret. */
  public record RevealedShare(ParticipantId owner, ShamirShare share) {}

  public UnmaskResponse {
    selfMaskShares = List.copyOf(selfMaskShares);
    maskKeyShares = List.copyOf(maskKeyShares);
  }

  @Override
  public byte[] encode() {
    CanonicalWriter out =
        CanonicalWriter.message(
                MessageType.UNMASK_RESPONSE,
                64 + 64 * (selfMaskShares.size() + maskKeyShares.size()))
            .string(federationId)
            .i64(round)
            .id(responder);
    writeShares(out, selfMaskShares);
    writeShares(out, maskKeyShares);
    return out.toByteArray();
  }

  private static void writeShares(CanonicalWriter out, List<RevealedShare> shares) {
    out.i32(shares.size());
    for (RevealedShare revealed : shares) {
      out.id(revealed.owner())
          .i32(revealed.share().x())
          .raw(ShamirScheme.fixedWidth(revealed.share().y(), ShamirScheme.SEED_SHARE_BYTES));
    }
  }

  public static UnmaskResponse decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.UNMASK_RESPONSE);
    String federationId = in.string(1024);
    long round = in.i64();
    ParticipantId responder = in.id();
    List<RevealedShare> selfMaskShares = readShares(in);
    List<RevealedShare> maskKeyShares = readShares(in);
    in.expectEnd();
    return new UnmaskResponse(federationId, round, responder, selfMaskShares, maskKeyShares);
  }

  private static List<RevealedShare> readShares(CanonicalReader in) {
    int count = in.count(RoundSetup.MAX_SITES);
    List<RevealedShare> shares = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ParticipantId owner = in.id();
      int x = in.i32();
      BigInteger y = new BigInteger(1, in.raw(ShamirScheme.SEED_SHARE_BYTES));
      if (x <= 0) {
        throw new SecAggException.MalformedMessage("revealed share has a non-positive point");
      }
      shares.add(new RevealedShare(owner, new ShamirShare(x, y)));
    }
    return shares;
  }
}
