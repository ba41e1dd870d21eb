package org.cohort.coordinator;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.protocol.wire.ByteCountingHandler;
import org.cohort.protocol.wire.EnvelopeValidator;
import org.cohort.protocol.wire.FrameCodec;
import org.cohort.protocol.wire.HeartbeatHandler;
import org.cohort.protocol.wire.ProtocolFailureHandler;

/** The coordinator's pipeline for one site connection, assembled in one place. */
final class CoordinatorChannelInitializer extends ChannelInitializer<SocketChannel> {

  private final CoordinatorConfig config;
  private final SslContext tls;
  private final Federation federation;
  private final CoordinatorMetrics metrics;
  private final ByteCountingHandler wireBytes;
  private final HandshakeLimiter handshakes;
  private final RevocationWatch revocation;

  CoordinatorChannelInitializer(
      CoordinatorConfig config,
      SslContext tls,
      Federation federation,
      CoordinatorMetrics metrics,
      HandshakeLimiter handshakes,
      RevocationWatch revocation) {
    this.config = config;
    this.tls = tls;
    this.federation = federation;
    this.metrics = metrics;
    this.wireBytes = new ByteCountingHandler(metrics::bytesIn, metrics::bytesOut);
    this.handshakes = handshakes;
    this.revocation = revocation;
  }

  @Override
  protected void initChannel(SocketChannel channel) {
    ChannelPipeline p = channel.pipeline();
    p.addLast("handshakes", handshakes);
    p.addLast("wire-bytes", wireBytes);
    SslHandler handler = tls.newHandler(channel.alloc());
    handler.setHandshakeTimeoutMillis(config.transport().handshakeTimeoutMsOrDefault());
    p.addLast("tls", handler);
    FrameCodec.addTo(p, config.transport().maxFrameBytes());
    p.addLast("validator", new EnvelopeValidator(config::federationId, metrics));
    p.addLast("chunked-writer", new ChunkedWriteHandler());
    p.addLast(
        "idle",
        new IdleStateHandler(
            config.idleTimeoutMs(), config.heartbeatIntervalMs(), 0, TimeUnit.MILLISECONDS));
    p.addLast("heartbeat", new HeartbeatHandler(config::federationId));
    p.addLast(
        "site", new SiteConnection(config, federation, metrics, federation.messages(), revocation));
    p.addLast("failures", new ProtocolFailureHandler(config::federationId, metrics));
  }
}
