package org.cohort.site.agent;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.crypto.secagg.SigningCertificates;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.protocol.v1.Error;
import org.cohort.protocol.wire.EnvelopeValidator;
import org.cohort.protocol.wire.FrameCodec;
import org.cohort.protocol.wire.HeartbeatHandler;
import org.cohort.protocol.wire.ProtocolFailureHandler;
import org.cohort.protocol.wire.RejectionListener;
import org.cohort.site.round.ContributionLedger;
import org.cohort.site.round.L2Clip;
import org.cohort.site.round.PrivacySpending;
import org.cohort.site.round.RoundPipeline;
import org.cohort.site.round.SigningIdentity;
import org.cohort.site.round.TaskPolicy;
import org.cohort.site.round.UpdateTransform;
import org.cohort.site.training.LocalTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hospital's agent: dials out to the coordinator over mutual TLS, keeps one connection, and
 * reconnects with capped exponential backoff and full jitter whenever it is lost, until the
 * federation says it is finished or {@link #close()} is called. Round and evaluation tasks are
 * served by a {@link RoundPipeline} per connection with the given {@link LocalTrainer}, which runs
 * on its own thread.
 *
 * <pre>{@code
 * SiteAgent agent = SiteAgent.builder(SiteConfig.load(file), trainer).build();
 * agent.start();
 * agent.finished().join();
 * }</pre>
 */
public final class SiteAgent implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SiteAgent.class);

  /** Until the Welcome says otherwise, the most the site accepts in one frame. */
  static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

  private static final int INITIAL_HEARTBEAT_MS = 5_000;

  private final SiteConfig config;
  private final String claimedSiteId;
  private final SslContext tls;
  private final Supplier<ChannelHandler> plaintextTap;
  private final ReconnectBackoff backoff;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final ExecutorService trainingThread;
  private final ExecutorService secureThread;
  private final Supplier<ChannelHandler> envelopeTap;
  private final List<SecAggException> secureAggregationRefusals = new CopyOnWriteArrayList<>();
  private final SiteRevocationList revocationList;
  private final PrivacySpending privacySpending;
  private SigningIdentity signingIdentity;
  private final Bootstrap bootstrap;
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private final AtomicReference<Channel> channel = new AtomicReference<>();
  private final AtomicReference<Error> lastError = new AtomicReference<>();
  private final AtomicInteger welcomes = new AtomicInteger();
  private final AtomicLong updatesSent = new AtomicLong();
  private final AtomicLong roundResults = new AtomicLong();
  private final AtomicInteger coordinatorsRevoked = new AtomicInteger();
  private volatile boolean connected;
  private volatile boolean closed;

  private SiteAgent(Builder b) {
    this.config = b.config;
    this.claimedSiteId = b.claimedSiteId != null ? b.claimedSiteId : b.config.siteId();
    this.tls = b.tls != null ? b.tls : MutualTls.client(StartupKit.load(b.config.kit().files()));
    this.revocationList = new SiteRevocationList(b.config.siteId(), b.config.kit().files());
    this.plaintextTap = b.plaintextTap;
    this.envelopeTap = b.envelopeTap;
    this.backoff =
        new ReconnectBackoff(b.config.initialReconnectDelay(), b.config.maxReconnectDelay());
    this.trainingThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cohort-training-" + b.config.siteId());
              t.setDaemon(true);
              return t;
            });
    this.secureThread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cohort-secagg-" + b.config.siteId());
              t.setDaemon(true);
              return t;
            });
    this.privacySpending = new PrivacySpending(b.config.siteId());
    RoundPipeline.Config rounds =
        new RoundPipeline.Config(
            b.config.siteId(),
            this::signingIdentity,
            secureAggregationRefusals::add,
            b.trainer,
            new TaskPolicy(
                b.maxModelElements,
                b.config.policyOrDefault().aggregationOrDefault(),
                b.config.policyOrDefault().privacyOrDefault(),
                revocationList),
            b.transforms,
            trainingThread,
            secureThread,
            new ContributionLedger(),
            b.trainingSeeds != null ? b.trainingSeeds : new SecureRandom(),
            privacySpending);
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    CoordinatorSession session = new CoordinatorSession(SiteAgent.this, rounds);
                    ChannelPipeline p = ch.pipeline();
                    p.addLast(
                        "tls",
                        tls.newHandler(
                            ch.alloc(), config.coordinator().host(), config.coordinator().port()));
                    if (plaintextTap != null) {
                      p.addLast("plaintext-tap", plaintextTap.get());
                    }
                    FrameCodec.addTo(p, MAX_FRAME_BYTES);
                    p.addLast(
                        "validator",
                        new EnvelopeValidator(session::federationId, RejectionListener.IGNORE));
                    p.addLast("chunked-writer", new ChunkedWriteHandler());
                    p.addLast(
                        "idle",
                        new IdleStateHandler(
                            INITIAL_HEARTBEAT_MS * 4L,
                            INITIAL_HEARTBEAT_MS,
                            0,
                            TimeUnit.MILLISECONDS));
                    p.addLast("heartbeat", new HeartbeatHandler(session::federationId));
                    if (envelopeTap != null) {
                      p.addLast("envelope-tap", envelopeTap.get());
                    }
                    p.addLast("session", session);
                    p.addLast(
                        "failures",
                        new ProtocolFailureHandler(
                            session::federationId, RejectionListener.IGNORE));
                  }
                });
  }

  public static Builder builder(SiteConfig config, LocalTrainer trainer) {
    return new Builder(config, trainer);
  }

  /** Options for programmatic use and tests. */
  public static final class Builder {
    private final SiteConfig config;
    private final LocalTrainer trainer;
    private SslContext tls;
    private Supplier<ChannelHandler> plaintextTap;
    private Supplier<ChannelHandler> envelopeTap;
    private String claimedSiteId;
    private long maxModelElements = 64L * 1024 * 1024;
    private List<UpdateTransform> transforms = List.of();
    private RandomGenerator trainingSeeds;

    private Builder(SiteConfig config, LocalTrainer trainer) {
      this.config = config;
      this.trainer = trainer;
    }

    /** TLS client context to use instead of one built from the config's kit. */
    public Builder tls(SslContext clientContext) {
      this.tls = clientContext;
      return this;
    }

    /** A fresh handler per connection, placed right after TLS: it sees every plaintext byte. */
    public Builder plaintextTap(Supplier<ChannelHandler> tap) {
      this.plaintextTap = tap;
      return this;
    }

    /**
     * A fresh handler per connection, placed just before the session: it sees, and may replace,
     * every decoded inbound envelope (tests use it to play a coordinator that tampers with relays).
     */
    public Builder envelopeTap(Supplier<ChannelHandler> tap) {
      this.envelopeTap = tap;
      return this;
    }

    /**
     * Claim another id in the Hello than the config's (only to test that the coordinator refuses
     * it).
     */
    public Builder claimSiteId(String siteId) {
      this.claimedSiteId = siteId;
      return this;
    }

    /** Tasks for larger models are declined. */
    public Builder maxModelElements(long elements) {
      this.maxModelElements = elements;
      return this;
    }

    /**
     * Scales every update this site sends down to an L2 norm of at most {@code maxNorm} before it
     * is encoded (a secure round's quantizer then also clips each coordinate to the round's range).
     * Off by default: the protocol does not carry a clip norm yet, so it is the site's own bound.
     */
    public Builder clipUpdateNorm(double maxNorm) {
      this.transforms = List.of(new L2Clip(maxNorm));
      return this;
    }

    /**
     * Where the site draws its training seeds; a SecureRandom unless set. A simulation that runs
     * every site in one process may fix it for reproducible runs: the seed is still the site's
     * choice, never the coordinator's.
     */
    public Builder trainingSeeds(RandomGenerator seeds) {
      this.trainingSeeds = seeds;
      return this;
    }

    public SiteAgent build() {
      return new SiteAgent(this);
    }
  }

  public String siteId() {
    return config.siteId();
  }

  String claimedSiteId() {
    return claimedSiteId;
  }

  /** Connects (and keeps reconnecting) in the background. */
  public SiteAgent start() {
    connect();
    return this;
  }

  private void connect() {
    if (closed || finished.isDone()) {
      return;
    }
    ChannelFuture attempt =
        bootstrap.connect(config.coordinator().host(), config.coordinator().port());
    channel.set(attempt.channel());
    attempt.channel().closeFuture().addListener(f -> onDisconnected());
  }

  private void onDisconnected() {
    connected = false;
    if (closed || finished.isDone()) {
      return;
    }
    Duration delay = backoff.nextDelay();
    log.info(
        "{}: connection to the coordinator lost; retrying in {} ms",
        config.siteId(),
        delay.toMillis());
    group.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  void welcomed() {
    connected = true;
    backoff.reset();
    welcomes.incrementAndGet();
    log.info("{}: joined the federation", config.siteId());
  }

  void errorReceived(Error error) {
    lastError.set(error);
  }

  void coordinatorRevoked() {
    coordinatorsRevoked.incrementAndGet();
  }

  void roundResult() {
    roundResults.incrementAndGet();
  }

  void updateSent() {
    updatesSent.incrementAndGet();
  }

  SiteRevocationList revocationList() {
    return revocationList;
  }

  /**
   * The kit's signing key and certificate (loaded on first use) and the trust anchors: the CA and
   * the newest revocation list the site holds now, so a list relayed mid-federation applies to the
   * next round's signing certificates.
   */
  private synchronized SigningIdentity signingIdentity() {
    SigningIdentity kitIdentity = kitSigningIdentity();
    return new SigningIdentity(
        kitIdentity.signingKey(),
        kitIdentity.signingCertificate(),
        kitIdentity.caCertificate(),
        revocationList.crl());
  }

  private SigningIdentity kitSigningIdentity() {
    if (signingIdentity == null) {
      StartupKit kit = StartupKit.load(config.kit().files());
      byte[] certificate;
      try {
        certificate = kit.signingCertificate().getEncoded();
      } catch (CertificateEncodingException e) {
        throw new SecAggException.InvalidParameters(
            "the kit's signing certificate cannot be encoded");
      }
      signingIdentity =
          new SigningIdentity(
              SigningCertificates.signingKey(kit),
              certificate,
              kit.caCertificate(),
              Optional.empty());
    }
    return signingIdentity;
  }

  /** Secure-aggregation messages (or setups) this site refused, oldest first. */
  public List<SecAggException> secureAggregationRefusals() {
    return List.copyOf(secureAggregationRefusals);
  }

  void federationFinished() {
    finished.complete(null);
  }

  /** True between a Welcome and the loss of that connection. */
  public boolean isConnected() {
    return connected;
  }

  /** How many times the coordinator accepted this agent (1 + successful reconnects). */
  public int welcomes() {
    return welcomes.get();
  }

  public long updatesSent() {
    return updatesSent.get();
  }

  /** Round results received (completed or abandoned rounds this site took part in). */
  public long roundResults() {
    return roundResults.get();
  }

  /**
   * Connections this site closed because its newest list revokes the coordinator's certificate or a
   * signing certificate the coordinator relayed.
   */
  /** What this site's records have spent in {@code federationId}, if it released anything. */
  public Optional<PrivacySpent> privacySpent(String federationId) {
    return privacySpending.spent(federationId);
  }

  public int coordinatorsRevoked() {
    return coordinatorsRevoked.get();
  }

  /** The cRLNumber of the newest revocation list this site holds, if any. */
  public Optional<BigInteger> revocationListNumber() {
    return revocationList.number();
  }

  /** The last typed error the coordinator sent. */
  public Optional<Error> lastError() {
    return Optional.ofNullable(lastError.get());
  }

  /** Completes when the coordinator says the federation has run all its rounds. */
  public CompletableFuture<Void> finished() {
    return finished;
  }

  /** Stops at once, like a killed process: no goodbye, the connection just closes. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Channel current = channel.get();
    if (current != null) {
      current.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    trainingThread.shutdownNow();
    secureThread.shutdownNow();
  }
}
