package org.cohort.protocol.wire;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * A flat float32 vector (or, for masked inputs, a vector of uint32 residues) as a sequence of
 * TensorChunk envelopes, for Netty's {@link ChunkedWriteHandler}: that handler produces the next
 * chunk only while the channel is writable and resumes on channelWritabilityChanged, so a slow
 * reader holds back the writer instead of making it buffer the whole model. Each chunk is encoded
 * when it is about to be written.
 *
 * <p>The vector is read, not copied: the caller must not modify it until the write completes.
 */
public final class TensorChunkInput implements ChunkedInput<Envelope> {

  /** Encodes elements [offset, offset + length) of the vector as TensorChunk.data. */
  private interface SliceEncoder {
    ByteString encode(int offset, int length);
  }

  private final int elements;
  private final SliceEncoder encoder;
  private final int chunkElements;
  private final String federationId;
  private final long round;
  private final Stream stream;
  private int offset;
  private boolean emptySent;

  public TensorChunkInput(
      float[] values, int chunkElements, String federationId, long round, Stream stream) {
    this(
        values.length,
        (offset, length) -> FloatsLittleEndian.encode(values, offset, length),
        chunkElements,
        federationId,
        round,
        stream);
  }

  /** Residues (masked inputs) as little-endian uint32 values; the array is read, not copied. */
  public static TensorChunkInput residues(
      int[] values, int chunkElements, String federationId, long round, Stream stream) {
    return new TensorChunkInput(
        values.length,
        (offset, length) -> IntsLittleEndian.encode(values, offset, length),
        chunkElements,
        federationId,
        round,
        stream);
  }

  private TensorChunkInput(
      int elements,
      SliceEncoder encoder,
      int chunkElements,
      String federationId,
      long round,
      Stream stream) {
    if (chunkElements < 1) {
      throw new IllegalArgumentException("chunk elements must be >= 1");
    }
    this.elements = elements;
    this.encoder = encoder;
    this.chunkElements = chunkElements;
    this.federationId = federationId;
    this.round = round;
    this.stream = stream;
  }

  @Override
  public boolean isEndOfInput() {
    return elements == 0 ? emptySent : offset >= elements;
  }

  @Override
  public void close() {}

  @Deprecated
  @Override
  public Envelope readChunk(ChannelHandlerContext ctx) {
    return readChunk(ctx.alloc());
  }

  @Override
  public Envelope readChunk(ByteBufAllocator allocator) {
    if (isEndOfInput()) {
      return null;
    }
    int length = Math.min(chunkElements, elements - offset);
    TensorChunk chunk =
        TensorChunk.newBuilder()
            .setStream(stream)
            .setOffset(offset)
            .setData(encoder.encode(offset, length))
            .setLast(offset + length == elements)
            .build();
    offset += length;
    emptySent = true;
    return Envelopes.stamped(federationId, round).setTensorChunk(chunk).build();
  }

  @Override
  public long length() {
    return elements;
  }

  @Override
  public long progress() {
    return offset;
  }
}
