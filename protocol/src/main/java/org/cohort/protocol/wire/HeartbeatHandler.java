package org.cohort.protocol.wire;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.function.Supplier;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Heartbeat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats in both directions, driven by an {@link IdleStateHandler} placed before it: after the
 * writer-idle interval we send a Heartbeat, after the reader-idle timeout the silent peer is
 * dropped, unless this side has paused reading (autoRead off). Inbound heartbeats stop here.
 */
public final class HeartbeatHandler extends ChannelDuplexHandler {

  private static final Logger log = LoggerFactory.getLogger(HeartbeatHandler.class);

  private final Supplier<String> federation;

  public HeartbeatHandler(Supplier<String> federation) {
    this.federation = federation;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent idle) {
      if (idle.state() == IdleState.READER_IDLE) {
        if (!ctx.channel().config().isAutoRead()) {
          // We stopped reading ourselves (e.g. an upload waits for a staging buffer): the peer's
          // heartbeats sit unread in TCP, so its silence says nothing about it.
          return;
        }
        log.info("dropping silent peer {}", ctx.channel().remoteAddress());
        ctx.close();
      } else if (idle.state() == IdleState.WRITER_IDLE) {
        String fed = federation.get();
        ctx.writeAndFlush(
            Envelopes.stamped(fed == null ? "" : fed, 0)
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(System.currentTimeMillis()))
                .build());
      }
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Envelope envelope && envelope.hasHeartbeat()) {
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
