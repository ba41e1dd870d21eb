package org.cohort.coordinator;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.aggregate.BoundedAggregator;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.coordinator.strategy.StrategySettings;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.ErrorCode;

/**
 * The coordinator: accepts site connections over mutual TLS, runs the configured rounds with secure
 * aggregation (by default; it unmasks only the sum) or plain aggregation ({@code
 * secure_aggregation.enabled: false}, logged as a warning at start), applies the configured server
 * strategy, checkpoints after each completed round, resumes from the last checkpoint on start, and
 * ends with a cross-site evaluation of the final model. It watches its revocation list: a newer one
 * closes the connections of the sites it revokes at once and is relayed to every other site. Start
 * with {@link #start(CoordinatorConfig)}; stop with {@link #close()}.
 */
public final class Coordinator implements AutoCloseable {

  private final CoordinatorConfig config;
  private final CoordinatorMetrics metrics = new CoordinatorMetrics();
  private final ScheduledExecutorService roundThread =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "cohort-rounds");
            t.setDaemon(true);
            return t;
          });
  private final Federation federation;
  private final EventLoopGroup bossGroup =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workerGroup =
      new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private final Channel serverChannel;
  private final MetricsEndpoint metricsEndpoint;
  private final RevocationWatch revocation;
  private final HandshakeLimiter handshakes;
  private boolean closed;

  private Coordinator(CoordinatorConfig config, SslContext tls) {
    this.config = config;
    KitFiles kit = kitFiles(config.kit());
    this.revocation =
        new RevocationWatch(
            Files.isRegularFile(kit.revocationList())
                ? Optional.of(kit.revocationList())
                : Optional.empty(),
            Pem.readCertificate(kit.caCertificate()));
    this.handshakes =
        new HandshakeLimiter(config.transport().maxPendingHandshakesOrDefault(), metrics);
    try {
      StrategySettings strategy = config.strategySettings();
      Path spill = config.checkpoint().directory().resolve("spill");
      this.federation =
          new Federation(
              config,
              strategy.strategy(),
              () ->
                  new BoundedAggregator(
                      config.contributionBounds(),
                      strategy.aggregator(config.layout().totalElements(), spill)),
              roundThread,
              metrics,
              Clock.systemUTC());
      revocation.subscribe(list -> federation.revocationListChanged(list.crl()));
      this.serverChannel =
          new ServerBootstrap()
              .group(bossGroup, workerGroup)
              .channel(NioServerSocketChannel.class)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new CoordinatorChannelInitializer(
                      config, tls, federation, metrics, handshakes, revocation))
              .bind(config.listen().host(), config.listen().port())
              .syncUninterruptibly()
              .channel();
      this.metricsEndpoint =
          config.metrics() == null
              ? null
              : new MetricsEndpoint(
                  new InetSocketAddress(config.metrics().host(), config.metrics().port()),
                  metrics.registry());
    } catch (RuntimeException e) {
      revocation.close();
      shutdownThreads();
      throw e;
    }
  }

  /** Starts with the TLS identity named in the config's {@code kit} section. */
  public static Coordinator start(CoordinatorConfig config) {
    return start(config, MutualTls.server(StartupKit.load(kitFiles(config.kit()))));
  }

  /** Starts with an explicit server TLS context (e.g. a kit loaded elsewhere). */
  public static Coordinator start(CoordinatorConfig config, SslContext serverTls) {
    return new Coordinator(config, serverTls);
  }

  static KitFiles kitFiles(CoordinatorConfig.Kit kit) {
    KitFiles standard = KitFiles.in(kit.certificate().toAbsolutePath().getParent());
    return new KitFiles(
        kit.certificate(),
        kit.privateKey(),
        kit.caCertificate(),
        kit.revocationList() != null ? kit.revocationList() : standard.revocationList(),
        standard.signingCertificate(),
        standard.signingPrivateKey());
  }

  public CoordinatorConfig config() {
    return config;
  }

  /** The port sites connect to (useful when the config asked for port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  public Optional<InetSocketAddress> metricsAddress() {
    return Optional.ofNullable(metricsEndpoint).map(MetricsEndpoint::address);
  }

  public void addListener(RoundListener listener) {
    federation.addListener(listener);
  }

  /** A copy of the current global model. */
  public GlobalModel globalModel() {
    return federation.snapshot();
  }

  /** Completes with the number of completed rounds once all configured rounds are done. */
  public CompletableFuture<Long> finished() {
    return federation.finished();
  }

  /** Prometheus text, as served on GET /metrics. */
  public String scrapeMetrics() {
    return metrics.registry().scrape();
  }

  /** How many messages or connections were refused with {@code code}. */
  public double rejected(ErrorCode code) {
    return metrics.rejectedCount(code);
  }

  /** Connections closed at accept because too many handshakes were under way. */
  public double handshakesShed() {
    return metrics.handshakesShed();
  }

  /** Accepted connections whose TLS handshake has not finished yet. */
  public int pendingHandshakes() {
    return handshakes.pending();
  }

  /** TLS handshakes that failed (untrusted or missing client certificates). */
  public double handshakeFailures() {
    return metrics.handshakeFailures();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    serverChannel.close().syncUninterruptibly();
    revocation.close();
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    shutdownThreads();
  }

  private void shutdownThreads() {
    bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    roundThread.shutdownNow();
  }
}
