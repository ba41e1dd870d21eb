package org.cohort.site.agent;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.cohort.protocol.v1.AdvertBundle;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Error;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Hello;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.Welcome;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.ProtocolVersion;
import org.cohort.protocol.wire.TensorChunkInput;
import org.cohort.site.round.Reply;
import org.cohort.site.round.RoundPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's side of one connection: says hello, hands every task and round message to a {@link
 * RoundPipeline} (which does all the work, off the event loop), and writes the pipeline's replies,
 * streaming uploads in chunks.
 */
final class CoordinatorSession extends SimpleChannelInboundHandler<Envelope> {

  private static final Logger log = LoggerFactory.getLogger(CoordinatorSession.class);

  private final SiteAgent agent;
  private final RoundPipeline.Config rounds;
  private volatile String federationId;
  private ChannelHandlerContext ctx;
  private RoundPipeline pipeline;
  private int chunkElements;

  CoordinatorSession(SiteAgent agent, RoundPipeline.Config rounds) {
    this.agent = agent;
    this.rounds = rounds;
  }

  /**
   * Null until the Welcome names the federation: envelopes of any federation are accepted until
   * then.
   */
  String federationId() {
    return federationId;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.pipeline = new RoundPipeline(rounds, ctx.executor(), this::write);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    // Written now, sent by the TLS handler as soon as its handshake completes.
    ctx.writeAndFlush(
        Envelopes.stamped("", 0)
            .setHello(
                Hello.newBuilder()
                    .setClaimedSiteId(agent.claimedSiteId())
                    .setAgentVersion(
                        "cohort-site/"
                            + ProtocolVersion.describe(
                                ProtocolVersion.MAJOR, ProtocolVersion.MINOR)))
            .build());
    super.channelActive(ctx);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
    long round = envelope.getRound();
    switch (envelope.getBodyCase()) {
      case WELCOME -> onWelcome(ctx, envelope);
      case ROUND_TASK -> pipeline.roundTask(round, envelope.getRoundTask());
      case EVALUATION_TASK -> pipeline.evaluationTask(round, envelope.getEvaluationTask());
      case TENSOR_CHUNK -> pipeline.modelChunk(round, envelope.getTensorChunk());
      case ADVERT_BUNDLE -> {
        if (relaysRevokedCertificate(envelope.getAdvertBundle())) {
          leaveRevoked(ctx, "the coordinator relayed a revoked signing certificate");
        } else {
          pipeline.adverts(round, envelope.getAdvertBundle());
        }
      }
      case SHARE_DELIVERY -> pipeline.shares(round, envelope.getShareDelivery());
      case SURVIVOR_SET -> pipeline.survivors(round, envelope.getSurvivorSet());
      case UNMASK_REQUEST -> pipeline.unmask(round, envelope.getUnmaskRequest());
      case ROUND_RESULT -> {
        pipeline.roundEnded(round);
        log.info(
            "{}: round {} {} with {} contributions",
            agent.siteId(),
            round,
            envelope.getRoundResult().getStatus(),
            envelope.getRoundResult().getContributions());
        agent.roundResult();
      }
      case ERROR -> {
        log.warn(
            "{}: coordinator reported {} ({})",
            agent.siteId(),
            envelope.getError().getCode(),
            envelope.getError().getDetail());
        agent.errorReceived(envelope.getError());
      }
      case REVOCATION_LIST_UPDATE ->
          refusesCoordinator(ctx, envelope.getRevocationListUpdate().getRevocationList());
      case GOODBYE -> {
        log.info(
            "{}: coordinator said goodbye: {}", agent.siteId(), envelope.getGoodbye().getReason());
        if (envelope.getGoodbye().getFederationFinished()) {
          agent.federationFinished();
        }
        ctx.close();
      }
      default -> log.warn("{}: ignoring unexpected {}", agent.siteId(), envelope.getBodyCase());
    }
  }

  /**
   * A relayed list is stored only if it is newer and the CA signed it. Then the coordinator's
   * certificate is checked against the newest list held, whether or not this one was stored: a
   * resumed TLS session is not checked again by the trust manager.
   */
  private boolean refusesCoordinator(ChannelHandlerContext ctx, ByteString der) {
    if (!der.isEmpty()) {
      agent.revocationList().offer(der.toByteArray());
    }
    if (agent.revocationList().number().isEmpty()) {
      return false; // no list at all: every task is declined until one arrives
    }
    X509Certificate coordinator;
    try {
      coordinator =
          (X509Certificate)
              ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates()[0];
    } catch (SSLPeerUnverifiedException e) {
      ctx.close();
      return true;
    }
    if (!agent.revocationList().revokes(coordinator)) {
      return false;
    }
    leaveRevoked(ctx, "the coordinator's certificate is revoked");
    return true;
  }

  /**
   * The site learns revocations only through the coordinator, so one that relays a signing
   * certificate revoked by a list the site holds is not to be trusted with the round.
   */
  private boolean relaysRevokedCertificate(AdvertBundle bundle) {
    for (ByteString der : bundle.getSigningCertificatesList()) {
      try {
        X509Certificate certificate =
            (X509Certificate)
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
        if (agent.revocationList().revokes(certificate)) {
          return true;
        }
      } catch (CertificateException | ClassCastException e) {
        // Unparseable: the secure-aggregation engine refuses it with its own typed reason.
      }
    }
    return false;
  }

  private void leaveRevoked(ChannelHandlerContext ctx, String detail) {
    log.warn("{}: {} by the newest revocation list; leaving", agent.siteId(), detail);
    agent.coordinatorRevoked();
    ctx.writeAndFlush(
            Envelopes.stamped(federationId == null ? "" : federationId, 0)
                .setError(
                    Error.newBuilder()
                        .setCode(ErrorCode.ERROR_CODE_REVOKED)
                        .setDetail(detail)
                        .setFatal(true))
                .build())
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void onWelcome(ChannelHandlerContext ctx, Envelope envelope) {
    Welcome welcome = envelope.getWelcome();
    if (refusesCoordinator(ctx, welcome.getRevocationList())) {
      return;
    }
    federationId = envelope.getFederationId();
    chunkElements = welcome.getChunkElements();
    int heartbeat = Math.max(10, welcome.getHeartbeatIntervalMs());
    ctx.pipeline()
        .replace(
            "idle",
            "idle",
            new IdleStateHandler(heartbeat * 4L, heartbeat, 0, TimeUnit.MILLISECONDS));
    if (chunkElements >= 1) {
      pipeline.welcomed(federationId);
    } else {
      // Without a chunk size nothing could be uploaded: tasks are declined as arriving before a
      // welcome.
      log.warn("{}: the welcome names no chunk size", agent.siteId());
    }
    agent.welcomed();
  }

  /**
   * The pipeline's outbox: called on the event loop. An upload's chunks carry its header's
   * federation and round.
   */
  private void write(Reply reply) {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (reply instanceof Reply.Message message) {
      ctx.writeAndFlush(message.envelope());
    } else if (reply instanceof Reply.PlainUpload upload) {
      Envelope header = upload.header();
      upload(
          header,
          new TensorChunkInput(
              upload.update(),
              chunkElements,
              header.getFederationId(),
              header.getRound(),
              Stream.STREAM_UPDATE));
    } else {
      Reply.MaskedUpload upload = (Reply.MaskedUpload) reply;
      Envelope header = upload.header();
      upload(
          header,
          TensorChunkInput.residues(
              upload.residues(),
              chunkElements,
              header.getFederationId(),
              header.getRound(),
              Stream.STREAM_MASKED_INPUT));
    }
  }

  private void upload(Envelope header, TensorChunkInput chunks) {
    ctx.write(header);
    ctx.writeAndFlush(chunks)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                agent.updateSent();
              }
            });
  }
}
