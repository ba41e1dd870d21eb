package org.cohort.protocol.wire;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * A flat float32 vector as a sequence of TensorChunk envelopes, for Netty's
 * {@link ChunkedWriteHandler}: that handler produces the next chunk only while the channel is
 * writable and resumes on channelWritabilityChanged, so a slow reader holds back the writer instead
 * of making it buffer the whole model. Each chunk is encoded when it is about to be written.
 *
 * <p>The vector is read, not copied: the caller must not modify it until the write completes.
 */
public final class TensorChunkInput implements ChunkedInput<Envelope> {

  private final float[] values;
  private final int chunkElements;
  private final String federationId;
  private final long round;
  private final Stream stream;
  private int offset;
  private boolean emptySent;

  public TensorChunkInput(float[] values, int chunkElements, String federationId, long round, Stream stream) {
    if (chunkElements < 1) {
      throw new IllegalArgumentException("chunk elements must be >= 1");
    }
    this.values = values;
    this.chunkElements = chunkElements;
    this.federationId = federationId;
    this.round = round;
    this.stream = stream;
  }

  @Override
  public boolean isEndOfInput() {
    return values.length == 0 ? emptySent : offset >= values.length;
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
    int length = Math.min(chunkElements, values.length - offset);
    TensorChunk chunk = TensorChunk.newBuilder()
        .setStream(stream)
        .setOffset(offset)
        .setData(FloatsLittleEndian.encode(values, offset, length))
        .setLast(offset + length == values.length)
        .build();
    offset += length;
    emptySent = true;
    return Envelopes.stamped(federationId, round).setTensorChunk(chunk).build();
  }

  @Override
  public long length() {
    return values.length;
  }

  @Override
  public long progress() {
    return offset;
  }
}
