package org.cohort.protocol.wire;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.io.IOException;
import java.util.List;
import org.cohort.protocol.v1.Envelope;

/**
 * Writes an {@link Envelope} as one frame: a 4-byte big-endian length buffer, then the serialized
 * envelope written straight into one exactly-sized buffer from the channel's allocator (direct for
 * socket channels). Netty's ProtobufEncoder + LengthFieldPrepender produce the same bytes (and the
 * same two buffers) but first serialize to a fresh heap array. For a tensor chunk that is a
 * megabyte-sized garbage copy per chunk and per site, which the TLS engine then copies again into
 * direct memory.
 */
final class EnvelopeFrameEncoder extends MessageToMessageEncoder<Envelope> {

  EnvelopeFrameEncoder() {
    super(Envelope.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Envelope envelope, List<Object> out)
      throws IOException {
    int size = envelope.getSerializedSize();
    ByteBuf body = ctx.alloc().ioBuffer(size, size);
    try {
      writeSerialized(envelope, size, body);
    } catch (IOException | RuntimeException e) {
      body.release();
      throw e;
    }
    out.add(ctx.alloc().ioBuffer(FrameCodec.LENGTH_FIELD_BYTES).writeInt(size));
    out.add(body);
  }

  /** Serializes {@code envelope} ({@code size} bytes) at {@code out}'s writer index. */
  static void writeSerialized(Envelope envelope, int size, ByteBuf out) throws IOException {
    out.ensureWritable(size);
    int start = out.writerIndex();
    if (out.nioBufferCount() == 1) {
      CodedOutputStream coded = CodedOutputStream.newInstance(out.nioBuffer(start, size));
      envelope.writeTo(coded);
      coded.checkNoSpaceLeft();
      out.writerIndex(start + size);
    } else {
      envelope.writeTo(new ByteBufOutputStream(out));
    }
  }
}
