package org.cohort.coordinator;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the connections whose TLS handshake has not finished: an accepted connection beyond the
 * bound is closed at once, before any TLS work, so peers that open connections and never complete a
 * handshake cannot exhaust the coordinator (each one also ends at the handshake timeout). The first
 * handler of every connection, shared by all; it removes itself once the handshake is over.
 */
@ChannelHandler.Sharable
final class HandshakeLimiter extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(HandshakeLimiter.class);

  private final int maxPending;
  private final CoordinatorMetrics metrics;
  private final AtomicInteger pending = new AtomicInteger();

  HandshakeLimiter(int maxPending, CoordinatorMetrics metrics) {
    this.maxPending = maxPending;
    this.metrics = metrics;
  }

  /** Connections accepted whose handshake is still under way. */
  int pending() {
    return pending.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    // Admitted only while under the limit, so pending() never reads above it.
    if (pending.getAndUpdate(p -> p < maxPending ? p + 1 : p) >= maxPending) {
      ctx.pipeline().remove(this);
      metrics.handshakeShed();
      log.debug(
          "closing {}: {} handshakes already under way", ctx.channel().remoteAddress(), maxPending);
      ctx.close();
      return;
    }
    // The handshake's outcome travels up the pipeline from the TLS handler, past this handler.
    ctx.pipeline().get(SslHandler.class).handshakeFuture().addListener(f -> done(ctx));
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    done(ctx);
    super.channelInactive(ctx);
  }

  /** Counts the connection out once, whichever of handshake end and close comes first. */
  private void done(ChannelHandlerContext ctx) {
    if (ctx.pipeline().context(this) != null) {
      ctx.pipeline().remove(this);
      pending.decrementAndGet();
    }
  }
}
