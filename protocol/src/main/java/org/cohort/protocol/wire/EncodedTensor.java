package org.cohort.protocol.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;

/**
 * A float32 vector encoded once as complete frames (length prefix and TensorChunk envelope, the
 * bytes {@link TensorChunkInput} and {@link FrameCodec} put on the wire) in direct memory, for
 * sending one vector to many peers: every connection streams read-only duplicates of the same
 * frames, so the vector is encoded and copied once instead of once per peer, and TLS reads it
 * straight from direct memory.
 *
 * <p>Reference counted: the creator holds one reference and releases it with {@link #close()} once
 * it has started its writes; each {@link #writeTo} holds another until that write ends (after the
 * last frame, or when it fails or the channel closes). The frames are freed with the last
 * reference.
 */
public final class EncodedTensor extends AbstractReferenceCounted implements AutoCloseable {

  private final List<ByteBuf> frames;

  private EncodedTensor(List<ByteBuf> frames) {
    this.frames = frames;
  }

  /** Encodes {@code values}; the array is read now and may change afterwards. */
  public static EncodedTensor of(
      float[] values, int chunkElements, String federationId, long round, Stream stream) {
    ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
    TensorChunkInput chunks =
        new TensorChunkInput(values, chunkElements, federationId, round, stream);
    List<ByteBuf> frames = new ArrayList<>();
    try {
      for (Envelope chunk = chunks.readChunk(allocator);
          chunk != null;
          chunk = chunks.readChunk(allocator)) {
        int size = chunk.getSerializedSize();
        ByteBuf frame = allocator.directBuffer(FrameCodec.LENGTH_FIELD_BYTES + size);
        frames.add(frame);
        frame.writeInt(size);
        EnvelopeFrameEncoder.writeSerialized(chunk, size, frame);
      }
    } catch (IOException e) {
      frames.forEach(ByteBuf::release);
      throw new IllegalStateException("a frame did not fit its exactly sized buffer", e);
    } catch (RuntimeException | Error e) {
      frames.forEach(ByteBuf::release);
      throw e;
    }
    return new EncodedTensor(List.copyOf(frames));
  }

  /**
   * Writes and flushes the frames to {@code channel}, whose pipeline has a ChunkedWriteHandler. The
   * stream's reference is released when the write ends, however it ends: a channel that is already
   * closed never reaches that handler, so it would not close the stream itself.
   */
  public ChannelFuture writeTo(Channel channel) {
    retain();
    Frames stream = new Frames();
    return channel.writeAndFlush(stream).addListener(written -> stream.close());
  }

  /** Releases the creator's reference. */
  @Override
  public void close() {
    release();
  }

  @Override
  protected void deallocate() {
    frames.forEach(ByteBuf::release);
  }

  @Override
  public EncodedTensor touch(Object hint) {
    return this;
  }

  private final class Frames implements ChunkedInput<ByteBuf> {
    private int next;
    private boolean closed;

    @Override
    public boolean isEndOfInput() {
      return next >= frames.size();
    }

    /** Called by ChunkedWriteHandler and by the write's listener, both on the event loop. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release();
      }
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
      return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
      return isEndOfInput() ? null : frames.get(next++).retainedDuplicate();
    }

    @Override
    public long length() {
      return frames.size();
    }

    @Override
    public long progress() {
      return next;
    }
  }
}
