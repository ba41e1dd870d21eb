package org.cohort.protocol.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.io.IOException;
import java.util.List;
import org.cohort.protocol.v1.Envelope;

/**
 * Parses one frame's bytes into an {@link Envelope} with a single copy: the frame is copied once
 * into a fresh array that the parsed message's {@code bytes} fields (tensor chunk data) then alias.
 * Netty's ProtobufDecoder copies twice (frame to array, then each bytes field out of that array).
 * Aliasing is safe because the array is ours alone and never written again; the frame buffer itself
 * is pooled and recycled after this call, so it is never aliased.
 */
final class EnvelopeDecoder extends MessageToMessageDecoder<ByteBuf> {

  EnvelopeDecoder() {
    super(ByteBuf.class);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out)
      throws IOException {
    byte[] copy = ByteBufUtil.getBytes(frame, frame.readerIndex(), frame.readableBytes(), true);
    // Only a CodedInputStream over immutable bytes honours aliasing; unsafeWrap declares ours so.
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(copy).newCodedInput();
    in.enableAliasing(true);
    out.add(Envelope.parseFrom(in));
  }
}
