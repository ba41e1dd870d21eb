package org.cohort.protocol.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.function.LongConsumer;

/** Counts bytes read and written at its place in the pipeline (first = bytes on the wire). */
@Sharable
public final class ByteCountingHandler extends ChannelDuplexHandler {

  private final LongConsumer bytesIn;
  private final LongConsumer bytesOut;

  public ByteCountingHandler(LongConsumer bytesIn, LongConsumer bytesOut) {
    this.bytesIn = bytesIn;
    this.bytesOut = bytesOut;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      bytesIn.accept(buf.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf) {
      bytesOut.accept(buf.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
