package org.cohort.protocol.wire;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;
import org.cohort.protocol.v1.Envelope;

/**
 * Writes an {@link Envelope} as one frame (4-byte big-endian length, then the serialized envelope)
 * straight into one exactly-sized buffer from the channel's allocator (direct when the transport
 * prefers it). Netty's ProtobufEncoder + LengthFieldPrepender produce the same bytes but first
 * serialize to a fresh heap array, which for a tensor chunk is a megabyte-sized garbage copy per
 * chunk and per site that the TLS engine then copies again into direct memory.
 */
final class EnvelopeFrameEncoder extends MessageToByteEncoder<Envelope> {

  EnvelopeFrameEncoder() {
    super(Envelope.class, true);
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Envelope envelope, boolean preferDirect) {
    int frameBytes = FrameCodec.LENGTH_FIELD_BYTES + envelope.getSerializedSize();
    return preferDirect ? ctx.alloc().ioBuffer(frameBytes, frameBytes) : ctx.alloc().heapBuffer(frameBytes, frameBytes);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Envelope envelope, ByteBuf out) throws IOException {
    int size = envelope.getSerializedSize();
    out.writeInt(size);
    if (out.nioBufferCount() == 1) {
      CodedOutputStream coded = CodedOutputStream.newInstance(out.nioBuffer(out.writerIndex(), size));
      envelope.writeTo(coded);
      coded.checkNoSpaceLeft();
      out.writerIndex(out.writerIndex() + size);
    } else {
      envelope.writeTo(new ByteBufOutputStream(out));
    }
  }
}
