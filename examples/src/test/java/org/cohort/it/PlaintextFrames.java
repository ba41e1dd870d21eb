package org.cohort.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.io.ByteArrayOutputStream;
import java.util.function.Predicate;
import org.cohort.protocol.v1.Envelope;

/**
 * A plaintext tap for a SiteAgent (placed right after TLS): records every byte the site sends and
 * can cut the connection right after the first envelope matching a predicate, like a process
 * killed mid-upload. Frames arrive here as a 4-byte length buffer followed by the envelope buffer.
 */
final class PlaintextFrames extends ChannelOutboundHandlerAdapter {

  private final ByteArrayOutputStream captured;
  private final Predicate<Envelope> cutAfter;
  private int expectedBody = -1;
  private boolean cut;

  PlaintextFrames(ByteArrayOutputStream captured, Predicate<Envelope> cutAfter) {
    this.captured = captured;
    this.cutAfter = cutAfter;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (cut) {
      promise.setFailure(new IllegalStateException("connection cut by the test"));
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof ByteBuf buf) {
      byte[] bytes = ByteBufUtil.getBytes(buf);
      synchronized (captured) {
        captured.write(bytes, 0, bytes.length);
      }
      if (expectedBody < 0 && bytes.length == 4) {
        expectedBody = buf.getInt(buf.readerIndex());
      } else if (expectedBody == bytes.length) {
        expectedBody = -1;
        if (cutAfter.test(Envelope.parseFrom(bytes))) {
          cut = true;
          ctx.write(msg, promise);
          ctx.flush();
          ctx.channel().close();
          return;
        }
      }
    }
    ctx.write(msg, promise);
  }
}
