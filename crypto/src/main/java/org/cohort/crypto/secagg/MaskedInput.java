package org.cohort.crypto.secagg;

/**
 * Site → coordinator: the quantized update plus weight, masked, as residues mod 2^bits. Encoded
 * size: 2 + 4+|fed| + 8 + 4+|id| + 1 + 4 + ceil(bits/8)·(vectorLength+1) bytes. {@link #values()}
 * is the message's own array (not copied: it is model-sized).
 */
public record MaskedInput(
    String federationId, long round, ParticipantId participant, int bits, int[] values)
    implements SecAggMessage {

  public MaskedInput {
    if (bits < 8 || bits > 32) {
      throw new SecAggException.MalformedMessage(
          "masked input has bits=" + bits + ", expected 8..32");
    }
  }

  @Override
  public byte[] encode() {
    int width = (bits + 7) / 8;
    return CanonicalWriter.message(MessageType.MASKED_INPUT, 64 + width * values.length)
        .string(federationId)
        .i64(round)
        .id(participant)
        .u8(bits)
        .residues(values, bits)
        .toByteArray();
  }

  public static MaskedInput decode(byte[] bytes) {
    CanonicalReader in = CanonicalReader.message(bytes, MessageType.MASKED_INPUT);
    String federationId = in.string(1024);
    long round = in.i64();
    ParticipantId participant = in.id();
    int bits = in.u8();
    if (bits < 8 || bits > 32) {
      throw new SecAggException.MalformedMessage(
          "masked input has bits=" + bits + ", expected 8..32");
    }
    int[] values = in.residues(bits, Integer.MAX_VALUE / 4);
    in.expectEnd();
    return new MaskedInput(federationId, round, participant, bits, values);
  }
}
