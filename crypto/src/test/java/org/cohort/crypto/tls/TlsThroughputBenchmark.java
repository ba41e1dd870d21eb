package org.cohort.crypto.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;

/**
 * Bulk throughput of mutual TLS 1.3 over loopback, JDK SSLEngine versus BoringSSL: a site sends 4
 * MiB messages to the coordinator as fast as a window of 4 in-flight writes allows; the server
 * counts and drops the bytes. Reports wall-clock MB/s, MB per CPU-second of the process (both ends,
 * so it is comparable on a loaded machine) and the median time of a full mTLS handshake. Not a unit
 * test: run with {@code java -cp crypto/target/test-classes:crypto/target/classes:<deps>
 * org.cohort.crypto.tls.TlsThroughputBenchmark [messages] [repetitions]}.
 */
public final class TlsThroughputBenchmark {
  private static final int MESSAGE_BYTES = 4 << 20;
  private static final int WINDOW = 4;
  private static final int HANDSHAKES = 200;
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private TlsThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path dir = Files.createTempDirectory("cohort-tls-bench");
    EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "bench");
      StartupKit coordinator =
          ca.issue(
              new ParticipantIdentity("coordinator", Role.COORDINATOR),
              dir.resolve("coordinator"),
              List.of("localhost", "127.0.0.1"));
      StartupKit site =
          ca.issue(new ParticipantIdentity("site-1", Role.SITE), dir.resolve("site-1"), List.of());
      System.out.printf(
          "mTLS 1.3 loopback, %d x %d MiB per run, %d runs, window %d, %d cores; "
              + "MB/CPU-second counts both ends (load-independent); handshake = median of %d%n",
          messages,
          MESSAGE_BYTES >> 20,
          repetitions,
          WINDOW,
          Runtime.getRuntime().availableProcessors(),
          HANDSHAKES);
      System.out.printf(
          "%-8s %-22s %10s %10s %10s %14s %14s%n",
          "provider", "cipher", "min MB/s", "median", "max", "MB/CPU-second", "handshake ms");
      for (SslProvider provider : List.of(SslProvider.JDK, SslProvider.OPENSSL)) {
        SslContext server = MutualTls.server(coordinator, coordinator.revocationList(), provider);
        SslContext client = MutualTls.client(site, site.revocationList(), provider);
        run(serverGroup, clientGroup, server, client, provider, messages, repetitions);
      }
    } finally {
      serverGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
      clientGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
      deleteRecursively(dir);
    }
  }

  private static void run(
      EventLoopGroup serverGroup,
      EventLoopGroup clientGroup,
      SslContext serverContext,
      SslContext clientContext,
      SslProvider provider,
      int messages,
      int repetitions)
      throws Exception {
    AtomicLong received = new AtomicLong();
    CompletableFuture<?>[] done = new CompletableFuture<?>[1];
    long[] target = new long[1];
    Channel server =
        new ServerBootstrap()
            .group(serverGroup)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            serverContext.newHandler(ch.alloc()),
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf bytes = (ByteBuf) msg;
                                long total = received.addAndGet(bytes.readableBytes());
                                bytes.release();
                                if (total >= target[0] && done[0] != null) {
                                  done[0].complete(null);
                                }
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
    int port = ((InetSocketAddress) server.localAddress()).getPort();
    try {
      double[] handshakeMillis = new double[HANDSHAKES];
      String cipher = "";
      for (int i = 0; i < HANDSHAKES; i++) {
        long start = System.nanoTime();
        Channel channel = connect(clientGroup, clientContext, port);
        handshakeMillis[i] = (System.nanoTime() - start) / 1e6;
        cipher = channel.pipeline().get(SslHandler.class).engine().getSession().getCipherSuite();
        channel.close().sync();
      }
      Arrays.sort(handshakeMillis);

      ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer(MESSAGE_BYTES);
      byte[] random = new byte[MESSAGE_BYTES];
      new SecureRandom().nextBytes(random);
      payload.writeBytes(random);
      Channel channel = connect(clientGroup, clientContext, port);
      double[] megabytesPerSecond = new double[repetitions];
      long cpuNanos;
      try {
        send(channel, payload, received, done, target, messages); // warm-up
        long cpuStart = PROCESS.getProcessCpuTime();
        for (int r = 0; r < repetitions; r++) {
          long start = System.nanoTime();
          send(channel, payload, received, done, target, messages);
          double seconds = (System.nanoTime() - start) / 1e9;
          megabytesPerSecond[r] = (double) messages * MESSAGE_BYTES / seconds / 1e6;
        }
        cpuNanos = PROCESS.getProcessCpuTime() - cpuStart;
      } finally {
        payload.release();
        channel.close().sync();
      }
      Arrays.sort(megabytesPerSecond);
      double megabytesPerCpuSecond =
          (double) repetitions * messages * MESSAGE_BYTES / (cpuNanos / 1e9) / 1e6;
      System.out.printf(
          "%-8s %-22s %10.0f %10.0f %10.0f %14.0f %14.2f%n",
          provider,
          cipher,
          megabytesPerSecond[0],
          megabytesPerSecond[repetitions / 2],
          megabytesPerSecond[repetitions - 1],
          megabytesPerCpuSecond,
          handshakeMillis[HANDSHAKES / 2]);
    } finally {
      server.close().sync();
    }
  }

  private static Channel connect(EventLoopGroup group, SslContext context, int port)
      throws Exception {
    Channel channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(context.newHandler(ch.alloc(), "localhost", port));
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
    channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
    return channel;
  }

  private static void send(
      Channel channel,
      ByteBuf payload,
      AtomicLong received,
      CompletableFuture<?>[] done,
      long[] target,
      int messages)
      throws Exception {
    CompletableFuture<Void> finished = new CompletableFuture<>();
    target[0] = received.get() + (long) messages * MESSAGE_BYTES;
    done[0] = finished;
    Semaphore window = new Semaphore(WINDOW);
    for (int i = 0; i < messages; i++) {
      window.acquire();
      channel
          .writeAndFlush(payload.retainedDuplicate())
          .addListener(
              written -> {
                window.release();
                if (!written.isSuccess()) {
                  finished.completeExceptionally(written.cause());
                }
              });
    }
    finished.get(120, TimeUnit.SECONDS);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
