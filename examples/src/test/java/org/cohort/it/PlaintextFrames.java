package org.cohort.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Predicate;
import org.cohort.protocol.v1.Envelope;

/**
 * A plaintext tap for a SiteAgent (placed right after TLS): records every byte the site sends and
 * can cut the connection right after the first envelope matching a predicate, like a process killed
 * mid-upload. Frames (4-byte length, then the envelope) arrive in one buffer or several.
 */
final class PlaintextFrames extends ChannelOutboundHandlerAdapter {

  private final ByteArrayOutputStream captured;
  private final Predicate<Envelope> cutAfter;

  /**
   * Bytes of frames not yet complete: the encoder may write a frame in one buffer or in several.
   */
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  private boolean cut;

  PlaintextFrames(ByteArrayOutputStream captured, Predicate<Envelope> cutAfter) {
    this.captured = captured;
    this.cutAfter = cutAfter;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
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
      pending.write(bytes, 0, bytes.length);
      if (completesMatchingFrame()) {
        cut = true;
        ctx.write(msg, promise);
        ctx.flush();
        ctx.channel().close();
        return;
      }
    }
    ctx.write(msg, promise);
  }

  /** Parses the complete frames now pending; true if one of them matches the cut predicate. */
  private boolean completesMatchingFrame() throws IOException {
    ByteBuffer frames = ByteBuffer.wrap(pending.toByteArray());
    boolean matched = false;
    while (frames.remaining() >= 4 && frames.remaining() - 4 >= frames.getInt(frames.position())) {
      byte[] body = new byte[frames.getInt()];
      frames.get(body);
      matched |= cutAfter.test(Envelope.parseFrom(body));
    }
    byte[] rest = new byte[frames.remaining()];
    frames.get(rest);
    pending.reset();
    pending.write(rest);
    return matched;
  }
}
