package org.cohort.crypto.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.UntrustedPeerException;

/** A line echo server and client over real loopback sockets, for mutual TLS tests. */
final class Loopback implements AutoCloseable {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  /** What the server saw: identities of accepted peers and causes of refused handshakes. */
  static final class EchoServer implements AutoCloseable {
    final Queue<ParticipantIdentity> peers = new ConcurrentLinkedQueue<>();
    final Queue<Throwable> refusals = new ConcurrentLinkedQueue<>();
    private final Channel channel;

    private EchoServer(EventLoopGroup group, SslContext context) throws InterruptedException {
      channel =
          new ServerBootstrap()
              .group(group)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              context.newHandler(ch.alloc()),
                              new LineBasedFrameDecoder(1 << 16),
                              new StringDecoder(StandardCharsets.UTF_8),
                              new StringEncoder(StandardCharsets.UTF_8),
                              new EchoHandler());
                    }
                  })
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
    }

    int port() {
      return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
      channel.close().syncUninterruptibly();
    }

    private final class EchoHandler extends SimpleChannelInboundHandler<String> {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent completion) {
          if (completion.isSuccess()) {
            try {
              peers.add(MutualTls.peerIdentity(ctx.pipeline().get(SslHandler.class)));
            } catch (UntrustedPeerException e) {
              refusals.add(e);
              ctx.close();
            }
          } else {
            refusals.add(completion.cause());
          }
        }
        ctx.fireUserEventTriggered(event);
      }

      @Override
      protected void channelRead0(ChannelHandlerContext ctx, String line) {
        ctx.writeAndFlush(line + "\n");
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
      }
    }
  }

  EchoServer server(SslContext context) throws InterruptedException {
    return new EchoServer(group, context);
  }

  /**
   * Connects, sends one line after the handshake and completes with the echoed line, or
   * exceptionally with whatever ended the connection first.
   */
  CompletableFuture<String> exchange(SslContext context, String serverName, int port, String line) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(
                        context.newHandler(ch.alloc(), serverName, port),
                        new LineBasedFrameDecoder(1 << 16),
                        new StringDecoder(StandardCharsets.UTF_8),
                        new StringEncoder(StandardCharsets.UTF_8),
                        new SimpleChannelInboundHandler<String>() {
                          @Override
                          public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                            if (event instanceof SslHandshakeCompletionEvent completion) {
                              if (completion.isSuccess()) {
                                ctx.writeAndFlush(line + "\n");
                              } else {
                                reply.completeExceptionally(completion.cause());
                              }
                            }
                            ctx.fireUserEventTriggered(event);
                          }

                          @Override
                          protected void channelRead0(ChannelHandlerContext ctx, String echoed) {
                            reply.complete(echoed);
                            ctx.close();
                          }

                          @Override
                          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            reply.completeExceptionally(cause);
                            ctx.close();
                          }

                          @Override
                          public void channelInactive(ChannelHandlerContext ctx) {
                            reply.completeExceptionally(new ClosedChannelException());
                          }
                        });
              }
            })
        .connect("127.0.0.1", port)
        .addListener(
            connected -> {
              if (!connected.isSuccess()) {
                reply.completeExceptionally(connected.cause());
              }
            });
    return reply;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
