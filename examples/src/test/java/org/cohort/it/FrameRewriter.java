package org.cohort.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.Function;
import org.cohort.protocol.v1.Envelope;

/**
 * A plaintext tap for a SiteAgent (after framing, before TLS) that plays a hostile site: every
 * envelope the site sends goes through {@code rewrite}, which returns what to send instead, or
 * empty to withhold it. Frames split across writes are held until complete.
 */
final class FrameRewriter extends ChannelOutboundHandlerAdapter {

  private final Function<Envelope, Optional<Envelope>> rewrite;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  FrameRewriter(Function<Envelope, Optional<Envelope>> rewrite) {
    this.rewrite = rewrite;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    if (!(msg instanceof ByteBuf buf)) {
      ctx.write(msg, promise);
      return;
    }
    byte[] bytes = ByteBufUtil.getBytes(buf);
    ReferenceCountUtil.release(msg);
    pending.write(bytes, 0, bytes.length);
    ByteBuffer frames = ByteBuffer.wrap(pending.toByteArray());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (frames.remaining() >= 4 && frames.remaining() - 4 >= frames.getInt(frames.position())) {
      byte[] body = new byte[frames.getInt()];
      frames.get(body);
      Optional<Envelope> sent = rewrite.apply(Envelope.parseFrom(body));
      if (sent.isPresent()) {
        byte[] rewritten = sent.get().toByteArray();
        out.write(ByteBuffer.allocate(4).putInt(rewritten.length).array());
        out.write(rewritten);
      }
    }
    byte[] rest = new byte[frames.remaining()];
    frames.get(rest);
    pending.reset();
    pending.write(rest);
    if (out.size() == 0) {
      promise.setSuccess();
      return;
    }
    ctx.write(Unpooled.wrappedBuffer(out.toByteArray()), promise);
  }
}
