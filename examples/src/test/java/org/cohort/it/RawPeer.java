package org.cohort.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.TaskDeclined;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.FrameCodec;

/**
 * A hand-driven peer for hostile-input tests: real TLS and framing, but it sends whatever the test
 * says, including raw bytes that bypass the frame encoder. It declines every round task so it never
 * holds up a round.
 */
final class RawPeer implements AutoCloseable {

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final List<Envelope> received = new CopyOnWriteArrayList<>();
  private final Channel channel;

  RawPeer(SslContext tls, int port) {
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast("tls", tls.newHandler(ch.alloc(), "127.0.0.1", port));
                    FrameCodec.addTo(ch.pipeline(), 1 << 20);
                    ch.pipeline()
                        .addLast(
                            new SimpleChannelInboundHandler<Envelope>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, Envelope envelope) {
                                received.add(envelope);
                                if (envelope.hasRoundTask()) {
                                  ctx.writeAndFlush(
                                      Envelopes.stamped(
                                              envelope.getFederationId(), envelope.getRound())
                                          .setTaskDeclined(
                                              TaskDeclined.newBuilder()
                                                  .setReason(DeclineReason.DECLINE_REASON_BUSY))
                                          .build());
                                }
                              }

                              @Override
                              public void exceptionCaught(
                                  ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                              }
                            });
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
  }

  void send(Envelope envelope) {
    channel.writeAndFlush(envelope);
  }

  /** Bytes straight into TLS, with no length prefix added. */
  void sendRaw(ByteBuf bytes) {
    channel.pipeline().context("frame-encoder").writeAndFlush(bytes);
  }

  boolean isOpen() {
    return channel.isActive();
  }

  List<Envelope> received() {
    return received;
  }

  Optional<org.cohort.protocol.v1.Error> error(ErrorCode code) {
    return received.stream()
        .filter(Envelope::hasError)
        .map(Envelope::getError)
        .filter(e -> e.getCode() == code)
        .findFirst();
  }

  boolean hasBody(Envelope.BodyCase body) {
    return received.stream().anyMatch(e -> e.getBodyCase() == body);
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
