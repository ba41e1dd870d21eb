package org.cohort.coordinator;

import com.google.protobuf.ByteString;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.RevocationList;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.UntrustedPeerException;
import org.cohort.crypto.tls.MutualTls;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.RevocationListUpdate;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.wire.EncodedTensor;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site's connection. The site's identity comes from its certificate after the TLS handshake;
 * its Hello must claim the same id. Uploads are received here, on the event loop, into a staging
 * buffer granted by the federation; while waiting for a buffer the channel stops reading (autoRead
 * off), which pushes back on the site through TCP. Upload states are event-loop confined.
 */
final class SiteConnection extends SimpleChannelInboundHandler<Envelope>
    implements SiteChannel, RevocationWatch.Subscriber {

  private static final Logger log = LoggerFactory.getLogger(SiteConnection.class);

  private enum Upload {
    NONE,
    AWAITING_BUFFER,
    RECEIVING,
    DISCARDING
  }

  private final CoordinatorConfig config;
  private final Set<String> allowedSites;
  private final Federation federation;
  private final CoordinatorMetrics metrics;
  private final CoordinatorMessages messages;
  private final RevocationWatch revocation;
  private Channel channel;
  private X509Certificate peerCertificate;
  private ParticipantIdentity identity;
  private boolean joined;
  private Upload upload = Upload.NONE;
  private long uploadRound;
  private StagedUpload staged;
  private long lastProgressNanos;
  private ScheduledFuture<?> progressCheck;
  private final Deque<Envelope> heldWhileWaiting = new ArrayDeque<>();

  SiteConnection(
      CoordinatorConfig config,
      Federation federation,
      CoordinatorMetrics metrics,
      CoordinatorMessages messages,
      RevocationWatch revocation) {
    this.config = config;
    this.revocation = revocation;
    this.allowedSites = Set.copyOf(config.sites().allowed());
    this.federation = federation;
    this.metrics = metrics;
    this.messages = messages;
  }

  // ---- SiteChannel: called by the federation (any thread) ----

  @Override
  public String siteId() {
    return identity.id();
  }

  @Override
  public void send(Envelope envelope) {
    channel.writeAndFlush(envelope);
  }

  @Override
  public void sendWithModel(Envelope envelope, EncodedTensor model) {
    channel.write(envelope);
    model.writeTo(channel);
  }

  @Override
  public CompletableFuture<Void> close(Envelope last) {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    channel.closeFuture().addListener(f -> closed.complete(null));
    channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    return closed;
  }

  @Override
  public void revokeUpload(StagedUpload revoked) {
    channel
        .eventLoop()
        .execute(
            () -> {
              // Only the upload still being received here: a completed or failed one has handed its
              // buffer back already.
              if (staged == revoked) {
                staged = null;
                upload = Upload.DISCARDING;
                revoked.failed();
              }
            });
  }

  @Override
  public void admitUpload(StagedUpload granted) {
    channel
        .eventLoop()
        .execute(
            () -> {
              if (upload != Upload.AWAITING_BUFFER || !channel.isActive()) {
                granted.failed();
                return;
              }
              upload = Upload.RECEIVING;
              staged = granted;
              lastProgressNanos = System.nanoTime();
              checkProgressLater(config.idleTimeoutMs());
              resumeReading();
            });
  }

  /**
   * A granted upload must keep moving: one that sends no chunk for transport.idle_timeout_ms gives
   * its buffer back and its site leaves the round, so a site that announces an upload and then
   * sends only heartbeats cannot keep other sites' uploads waiting for the buffer until the phase
   * ends. Event-loop confined.
   */
  private void checkProgressLater(long delayMs) {
    if (progressCheck != null) {
      progressCheck.cancel(false);
    }
    progressCheck =
        channel.eventLoop().schedule(this::checkProgress, delayMs, TimeUnit.MILLISECONDS);
  }

  private void checkProgress() {
    if (upload != Upload.RECEIVING || staged == null) {
      return;
    }
    long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgressNanos);
    if (idleMs < config.idleTimeoutMs()) {
      checkProgressLater(config.idleTimeoutMs() - idleMs);
      return;
    }
    log.info(
        "{}: upload for round {} stalled; its staging buffer is taken back", siteId(), uploadRound);
    metrics.rejected(ErrorCode.ERROR_CODE_INVALID_UPDATE);
    channel.writeAndFlush(
        messages.error(
            uploadRound,
            ErrorCode.ERROR_CODE_INVALID_UPDATE,
            "upload made no progress for " + config.idleTimeoutMs() + " ms; it is dropped"));
    staged.failed();
    staged = null;
    upload = Upload.DISCARDING;
  }

  @Override
  public void refuseUpload(long round, ErrorCode code, String detail) {
    channel
        .eventLoop()
        .execute(
            () -> {
              channel.writeAndFlush(messages.error(round, code, detail));
              if (upload == Upload.AWAITING_BUFFER) {
                upload = Upload.DISCARDING;
                resumeReading();
              }
            });
  }

  /**
   * Called by the revocation watch (its thread): a revoked site is refused and dropped from the
   * federation now, everyone else is sent the list.
   */
  @Override
  public void revocationListChanged(RevocationList list) {
    channel
        .eventLoop()
        .execute(
            () -> {
              if (identity == null || !channel.isActive()) {
                return;
              }
              ChannelHandlerContext ctx = channel.pipeline().context(this);
              if (list.revokes(peerCertificate)) {
                refuseRevoked(ctx);
              } else if (joined) {
                ctx.writeAndFlush(
                    Envelopes.stamped(config.federationId(), 0)
                        .setRevocationListUpdate(
                            RevocationListUpdate.newBuilder()
                                .setRevocationList(ByteString.copyFrom(list.encoded())))
                        .build());
              }
            });
  }

  private void refuseRevoked(ChannelHandlerContext ctx) {
    if (joined) {
      // Before the close is seen as a departure: the round it is in must not keep its input.
      federation.revoked(this);
    }
    refuse(ctx, ErrorCode.ERROR_CODE_REVOKED, "this site's certificate has been revoked");
  }

  // ---- event loop ----

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof SslHandshakeCompletionEvent handshake) {
      if (!handshake.isSuccess()) {
        metrics.handshakeFailed();
        log.info(
            "TLS handshake with {} failed: {}",
            ctx.channel().remoteAddress(),
            handshake.cause().getMessage());
        ctx.close();
        return;
      }
      authorize(ctx);
    }
    super.userEventTriggered(ctx, event);
  }

  private void authorize(ChannelHandlerContext ctx) {
    ParticipantIdentity peer;
    X509Certificate certificate;
    try {
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      peer = MutualTls.peerIdentity(tls);
      certificate = MutualTls.peerCertificate(tls);
    } catch (UntrustedPeerException e) {
      refuse(
          ctx, ErrorCode.ERROR_CODE_UNAUTHORIZED_ROLE, "certificate does not name a participant");
      return;
    }
    if (revocation.revokes(certificate)) {
      // The handshake may have been checked against the list before the newest one.
      refuse(ctx, ErrorCode.ERROR_CODE_REVOKED, "this site's certificate has been revoked");
    } else if (peer.role() != Role.SITE) {
      refuse(ctx, ErrorCode.ERROR_CODE_UNAUTHORIZED_ROLE, "only site certificates may join rounds");
    } else if (!allowedSites.contains(peer.id())) {
      refuse(
          ctx,
          ErrorCode.ERROR_CODE_UNKNOWN_SITE,
          "site " + peer.id() + " is not in this federation");
    } else {
      identity = peer;
      peerCertificate = certificate;
      revocation.subscribe(this);
    }
  }

  private void refuse(ChannelHandlerContext ctx, ErrorCode code, String detail) {
    metrics.rejected(code);
    log.info("refusing {}: {}", ctx.channel().remoteAddress(), detail);
    ctx.writeAndFlush(messages.fatalError(code, detail)).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
    if (identity == null) {
      return; // refused: the connection is closing
    }
    if (!joined) {
      onHello(ctx, envelope);
      return;
    }
    if (upload == Upload.AWAITING_BUFFER && envelope.hasTensorChunk()) {
      heldWhileWaiting.add(envelope);
      return;
    }
    switch (envelope.getBodyCase()) {
      case UPDATE_HEADER, MASKED_INPUT_HEADER -> onUploadHeader(ctx, envelope);
      case KEY_ADVERT, SHARE_BUNDLE, SURVIVOR_SIGNATURE, UNMASK_RESPONSE ->
          federation.secureAggregationMessage(this, envelope);
      case TENSOR_CHUNK -> onChunk(ctx, envelope);
      case TASK_DECLINED -> federation.declined(this, envelope.getRound());
      case EVALUATION_RESULT -> federation.evaluationResult(this, envelope);
      case GOODBYE -> ctx.close();
      case ERROR -> log.info("site {} reported {}", siteId(), envelope.getError().getCode());
      default ->
          rejectNonFatal(
              ctx,
              envelope.getRound(),
              ErrorCode.ERROR_CODE_UNEXPECTED_MESSAGE,
              "unexpected " + envelope.getBodyCase() + " from a site");
    }
  }

  private void onHello(ChannelHandlerContext ctx, Envelope envelope) {
    if (!envelope.hasHello()) {
      refuse(ctx, ErrorCode.ERROR_CODE_UNEXPECTED_MESSAGE, "the first message must be a hello");
      return;
    }
    if (!identity.id().equals(envelope.getHello().getClaimedSiteId())) {
      refuse(
          ctx,
          ErrorCode.ERROR_CODE_IDENTITY_MISMATCH,
          "hello claims another site than the certificate names");
      return;
    }
    joined = true;
    Envelope welcome =
        messages.welcome(
            identity.id(),
            config.heartbeatIntervalMs(),
            config.transport().maxFrameBytes(),
            config.transport().chunkElements());
    Optional<RevocationList> list = revocation.current();
    if (list.isPresent()) {
      welcome =
          welcome.toBuilder()
              .setWelcome(
                  welcome.getWelcome().toBuilder()
                      .setRevocationList(ByteString.copyFrom(list.get().encoded())))
              .build();
    }
    ctx.writeAndFlush(welcome);
    federation.join(this);
  }

  private void onUploadHeader(ChannelHandlerContext ctx, Envelope envelope) {
    if (upload != Upload.NONE) {
      rejectNonFatal(
          ctx,
          envelope.getRound(),
          ErrorCode.ERROR_CODE_UNEXPECTED_MESSAGE,
          "an update is already in progress on this connection");
      return;
    }
    upload = Upload.AWAITING_BUFFER;
    uploadRound = envelope.getRound();
    ctx.channel().config().setAutoRead(false);
    federation.requestUpload(this, envelope);
  }

  private void onChunk(ChannelHandlerContext ctx, Envelope envelope) {
    TensorChunk chunk = envelope.getTensorChunk();
    switch (upload) {
      case NONE, AWAITING_BUFFER ->
          rejectNonFatal(
              ctx,
              envelope.getRound(),
              ErrorCode.ERROR_CODE_UNEXPECTED_MESSAGE,
              "tensor chunk without an accepted update header");
      case DISCARDING -> {
        if (chunk.getLast()) {
          upload = Upload.NONE;
        }
      }
      case RECEIVING -> {
        try {
          if (envelope.getRound() != uploadRound) {
            throw new InvalidTensorStreamException(
                "chunk of round "
                    + envelope.getRound()
                    + " inside an update for round "
                    + uploadRound);
          }
          lastProgressNanos = System.nanoTime();
          if (staged.accept(chunk)) {
            upload = Upload.NONE;
            staged.completed();
            staged = null;
          }
        } catch (InvalidTensorStreamException e) {
          metrics.rejected(ErrorCode.ERROR_CODE_INVALID_UPDATE);
          ctx.writeAndFlush(
              messages.error(uploadRound, ErrorCode.ERROR_CODE_INVALID_UPDATE, e.getMessage()));
          staged.failed();
          staged = null;
          upload = chunk.getLast() ? Upload.NONE : Upload.DISCARDING;
        }
      }
    }
  }

  /** Runs as an event-loop task, outside the pipeline: a failure must not leave reading paused. */
  private void resumeReading() {
    try {
      while (!heldWhileWaiting.isEmpty() && channel.isActive()) {
        onChunk(channel.pipeline().context(this), heldWhileWaiting.poll());
      }
    } catch (RuntimeException e) {
      channel.pipeline().fireExceptionCaught(e);
    } finally {
      heldWhileWaiting.clear();
      channel.config().setAutoRead(true);
    }
  }

  private void rejectNonFatal(
      ChannelHandlerContext ctx, long round, ErrorCode code, String detail) {
    metrics.rejected(code);
    ctx.writeAndFlush(messages.error(round, code, detail));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    revocation.unsubscribe(this);
    if (progressCheck != null) {
      progressCheck.cancel(false);
    }
    if (upload == Upload.RECEIVING) {
      // The partial upload never reaches the sum: its buffer goes straight back to the pool.
      staged.failed();
      staged = null;
    }
    upload = Upload.NONE;
    heldWhileWaiting.clear();
    if (joined) {
      federation.leave(this);
    }
    super.channelInactive(ctx);
  }
}
