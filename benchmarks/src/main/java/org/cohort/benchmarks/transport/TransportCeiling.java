package org.cohort.benchmarks.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cohort.benchmarks.aggregation.HeapWatch;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.tls.MutualTls;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The ceiling a round can reach on this machine: raw bytes over loopback mutual TLS 1.3 with the
 * project's own certificates and {@link MutualTls} contexts (BoringSSL when it loads), with no
 * framing, protobuf or model work, and the JDK's AES-GCM / AES-CTR throughput on one and on all
 * cores. Each client streams {@code --megabytes} in {@code --write-kib} direct buffers (duplicates
 * of one filled buffer, so the source costs nothing) through ChunkedWriteHandler, which respects
 * the channel's writability as the framework's own tensor streams do; the server counts and
 * releases what it reads. Client and server run in this JVM on separate event loops; their CPU time
 * is measured per side by thread.
 */
@Command(
    name = "transport-ceiling",
    mixinStandardHelpOptions = true,
    description = "Loopback mTLS throughput (Netty + MutualTls) and JDK AES-GCM/CTR throughput.")
public final class TransportCeiling implements Callable<Integer> {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final String SERVER_THREADS = "ceiling-server";
  private static final String CLIENT_THREADS = "ceiling-client";

  /** The TLS wrap size the transport uses (FrameCodec), in KiB. */
  private static final int WRAP_KIB = 256;

  @Option(
      names = "--connections",
      split = ",",
      defaultValue = "1,2,10",
      description = "concurrent connections per measurement (default ${DEFAULT-VALUE})")
  List<Integer> connectionCounts;

  @Option(
      names = "--megabytes",
      defaultValue = "400",
      description = "MiB sent over each measurement, split across its connections")
  int megabytes;

  @Option(
      names = "--write-kib",
      defaultValue = "1024",
      description = "size of each write, like a tensor chunk frame (default ${DEFAULT-VALUE})")
  int writeKib;

  @Option(
      names = "--wrap-data-kib",
      split = ",",
      defaultValue = "16,256",
      description =
          "SslHandler.setWrapDataSize: plaintext per wrap call, 16 KiB = one TLS record"
              + " (default ${DEFAULT-VALUE})")
  List<Integer> wrapDataKibs;

  @Option(
      names = "--repetitions",
      defaultValue = "3",
      description = "runs per configuration; the median is shown (default ${DEFAULT-VALUE})")
  int repetitions;

  @Option(names = "--skip-cipher", description = "measure only the transport")
  boolean skipCipher;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.exit(new CommandLine(new TransportCeiling()).execute(args));
  }

  private record Run(double seconds, double serverCpu, double clientCpu) {}

  @Override
  public Integer call() throws Exception {
    System.out.printf(
        "transport ceiling: %s, %d cores, load %s%n",
        MutualTls.preferredProvider(),
        Runtime.getRuntime().availableProcessors(),
        HeapWatch.loadAverage());
    if (!skipCipher) {
      cipherTable();
    }
    Contexts tls = Contexts.create();
    System.out.println();
    System.out.println(
        "| connections | wrap data | MiB | median wall | aggregate GB/s | per connection GB/s"
            + " | server CPU s | client CPU s | server GB per CPU-s | load before -> after |");
    System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    // One untimed warm-up so the JIT and BoringSSL's tables are hot before anything is counted.
    new TransportCeiling().transfer(tls, 1, 16, 64);
    for (int wrapKib : wrapDataKibs) {
      for (int connections : connectionCounts) {
        String loadBefore = HeapWatch.loadAverage();
        List<Run> runs = new ArrayList<>();
        for (int r = 0; r < repetitions; r++) {
          runs.add(transfer(tls, connections, wrapKib, megabytes));
        }
        runs.sort((a, b) -> Double.compare(a.seconds(), b.seconds()));
        Run median = runs.get(runs.size() / 2);
        double gb = megabytes * 1048576.0 / 1e9;
        System.out.printf(
            "| %d | %d KiB | %d | %.3f s | %.2f | %.2f | %.2f | %.2f | %.2f | %s -> %s |%n",
            connections,
            wrapKib,
            megabytes,
            median.seconds(),
            gb / median.seconds(),
            gb / connections / median.seconds(),
            median.serverCpu(),
            median.clientCpu(),
            gb / median.serverCpu(),
            loadBefore,
            HeapWatch.loadAverage());
      }
    }
    return 0;
  }

  /**
   * Server and client TLS contexts from a fresh consortium CA, as coordinator and site use them.
   */
  private record Contexts(SslContext server, SslContext client) {
    static Contexts create() throws IOException {
      Path root = Files.createTempDirectory("cohort-ceiling");
      ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "ceiling-consortium");
      ca.issue(
          new ParticipantIdentity("coordinator", Role.COORDINATOR),
          root.resolve("coordinator"),
          List.of());
      ca.issue(new ParticipantIdentity("site-001", Role.SITE), root.resolve("site"), List.of());
      return new Contexts(
          MutualTls.server(
              StartupKit.load(root.resolve("coordinator")),
              Optional.empty(),
              MutualTls.preferredProvider()),
          MutualTls.client(
              StartupKit.load(root.resolve("site")),
              Optional.empty(),
              MutualTls.preferredProvider()));
    }
  }

  /**
   * The median of 3 transfers of {@code mib} MiB over {@code connections} concurrent connections
   * with the transport's own TLS wrap size, after a warm-up: the aggregate ceiling in bytes/s.
   */
  public static double aggregateBytesPerSecond(int connections, int mib) throws Exception {
    Contexts tls = Contexts.create();
    TransportCeiling ceiling = new TransportCeiling();
    ceiling.writeKib = 1024;
    ceiling.transfer(tls, 1, WRAP_KIB, 64);
    List<Double> seconds = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      seconds.add(ceiling.transfer(tls, connections, WRAP_KIB, mib).seconds());
    }
    seconds.sort(null);
    return mib * 1048576.0 / seconds.get(1);
  }

  private Run transfer(Contexts tls, int connections, int wrapKib, int totalMib) throws Exception {
    SslContext serverTls = tls.server();
    SslContext clientTls = tls.client();
    long perConnection = totalMib * 1048576L / connections;
    EventLoopGroup serverLoops =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory(SERVER_THREADS), NioIoHandler.newFactory());
    EventLoopGroup clientLoops =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory(CLIENT_THREADS), NioIoHandler.newFactory());
    List<CompletableFuture<Void>> received = new ArrayList<>();
    try {
      Channel listener =
          new ServerBootstrap()
              .group(serverLoops)
              .channel(NioServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      SslHandler tls = serverTls.newHandler(ch.alloc());
                      tls.setWrapDataSize(wrapKib * 1024);
                      CompletableFuture<Void> done = new CompletableFuture<>();
                      synchronized (received) {
                        received.add(done);
                      }
                      ch.pipeline().addLast(tls, new Counter(perConnection, done));
                    }
                  })
              .bind("127.0.0.1", 0)
              .sync()
              .channel();
      int port = ((InetSocketAddress) listener.localAddress()).getPort();
      ByteBuf source = ByteBufAllocator.DEFAULT.directBuffer(writeKib * 1024);
      byte[] random = new byte[writeKib * 1024];
      new SecureRandom().nextBytes(random);
      source.writeBytes(random);
      List<Channel> clients = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        clients.add(
            new Bootstrap()
                .group(clientLoops)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(
                    ChannelOption.WRITE_BUFFER_WATER_MARK,
                    new WriteBufferWaterMark(1 << 20, 4 << 20))
                .handler(
                    new ChannelInitializer<SocketChannel>() {
                      @Override
                      protected void initChannel(SocketChannel ch) {
                        SslHandler tls = clientTls.newHandler(ch.alloc(), "127.0.0.1", port);
                        tls.setWrapDataSize(wrapKib * 1024);
                        ch.pipeline().addLast(tls, new ChunkedWriteHandler());
                      }
                    })
                .connect("127.0.0.1", port)
                .sync()
                .channel());
      }
      for (Channel ch : clients) {
        ch.pipeline().get(SslHandler.class).handshakeFuture().sync();
      }
      long serverCpuBefore = cpuOf(SERVER_THREADS);
      long clientCpuBefore = cpuOf(CLIENT_THREADS);
      long start = System.nanoTime();
      for (Channel ch : clients) {
        ch.writeAndFlush(new Repeated(source, perConnection));
      }
      awaitAll(received, connections);
      double seconds = (System.nanoTime() - start) / 1e9;
      Run run =
          new Run(
              seconds,
              (cpuOf(SERVER_THREADS) - serverCpuBefore) / 1e9,
              (cpuOf(CLIENT_THREADS) - clientCpuBefore) / 1e9);
      for (Channel ch : clients) {
        ch.close().sync();
      }
      listener.close().sync();
      source.release();
      return run;
    } finally {
      serverLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static void awaitAll(List<CompletableFuture<Void>> received, int connections)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      List<CompletableFuture<Void>> snapshot;
      synchronized (received) {
        snapshot = List.copyOf(received);
      }
      if (snapshot.size() == connections) {
        CompletableFuture.allOf(snapshot.toArray(CompletableFuture[]::new))
            .get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("connections were not accepted");
      }
      Thread.onSpinWait();
    }
  }

  /** CPU time of the live threads whose names start with {@code prefix}. */
  private static long cpuOf(String prefix) {
    long total = 0;
    for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith(prefix)) {
        total += Math.max(0, THREADS.getThreadCpuTime(info.getThreadId()));
      }
    }
    return total;
  }

  /** Counts decrypted bytes, releases them, and completes once the expected total arrived. */
  private static final class Counter extends ChannelInboundHandlerAdapter {
    private final long expected;
    private final CompletableFuture<Void> done;
    private long seen;

    Counter(long expected, CompletableFuture<Void> done) {
      this.expected = expected;
      this.done = done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      seen += buf.readableBytes();
      buf.release();
      if (seen >= expected) {
        done.complete(null);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(cause);
      ctx.close();
    }
  }

  /** {@code total} bytes as read-only duplicates of one source buffer. */
  private static final class Repeated implements ChunkedInput<ByteBuf> {
    private final ByteBuf source;
    private final long total;
    private long sent;

    Repeated(ByteBuf source, long total) {
      this.source = source;
      this.total = total;
    }

    @Override
    public boolean isEndOfInput() {
      return sent >= total;
    }

    @Override
    public void close() {}

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) {
      return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) {
      if (isEndOfInput()) {
        return null;
      }
      int length = (int) Math.min(source.readableBytes(), total - sent);
      sent += length;
      return source.retainedSlice(source.readerIndex(), length);
    }

    @Override
    public long length() {
      return total;
    }

    @Override
    public long progress() {
      return sent;
    }
  }

  // ---- JDK ciphers ----

  /** Keeps the cipher output observable so the JIT cannot drop the work. */
  private static volatile long cipherSink;

  private interface CipherJob {
    /** Processes {@code bytes} of input in 64 KiB calls; returns a value so the JIT keeps it. */
    long run(long bytes) throws GeneralSecurityException;
  }

  private static void cipherTable() throws Exception {
    System.out.println();
    System.out.println(
        "| cipher (JDK SunJCE, 64 KiB calls) | threads | GB/s total | GB/s per thread | load |");
    System.out.println("|---|---:|---:|---:|---|");
    int cores = Runtime.getRuntime().availableProcessors();
    for (String name : List.of("AES-256-GCM", "AES-256-CTR")) {
      for (int threads : cores > 1 ? List.of(1, cores) : List.of(1)) {
        long bytes = 1L << 30;
        measureCipher(name, threads, bytes / 4); // warm-up: compiles the AES-NI intrinsics
        double seconds = measureCipher(name, threads, bytes);
        double gb = bytes * threads / 1e9;
        System.out.printf(
            "| %s | %d | %.2f | %.2f | %s |%n",
            name, threads, gb / seconds, gb / threads / seconds, HeapWatch.loadAverage());
      }
    }
  }

  private static double measureCipher(String name, int threads, long bytesPerThread)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<Long>> jobs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        jobs.add(pool.submit(() -> runCipher(name, bytesPerThread)));
      }
      for (Future<Long> job : jobs) {
        cipherSink += job.get();
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static long runCipher(String name, long bytes) {
    try {
      return cipherJob(name).run(bytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CipherJob cipherJob(String name) throws GeneralSecurityException {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    SecretKeySpec spec = new SecretKeySpec(key, "AES");
    byte[] in = new byte[64 * 1024];
    byte[] out = new byte[in.length + 16];
    return switch (name) {
      case "AES-256-GCM" ->
          bytes -> {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            byte[] iv = new byte[12];
            long sink = 0;
            for (long done = 0, n = 0; done < bytes; done += in.length, n++) {
              // One sealed message per call, like one TLS-sized unit: a fresh nonce each.
              iv[0] = (byte) n;
              iv[1] = (byte) (n >>> 8);
              iv[2] = (byte) (n >>> 16);
              iv[3] = (byte) (n >>> 24);
              gcm.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(128, iv));
              sink += gcm.doFinal(in, 0, in.length, out, 0);
            }
            return sink + out[5];
          };
      case "AES-256-CTR" ->
          bytes -> {
            Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
            ctr.init(Cipher.ENCRYPT_MODE, spec, new IvParameterSpec(new byte[16]));
            long sink = 0;
            for (long done = 0; done < bytes; done += in.length) {
              sink += ctr.update(in, 0, in.length, out, 0);
            }
            return sink + out[5];
          };
      default -> throw new IllegalArgumentException(name);
    };
  }

  private TransportCeiling() {}
}
