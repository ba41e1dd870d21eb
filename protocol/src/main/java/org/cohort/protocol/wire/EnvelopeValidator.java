package org.cohort.protocol.wire;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.function.Supplier;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;

/**
 * Lets through only envelopes of our major protocol version and our federation. Another major
 * version is fatal (the peer cannot understand us); another federation id is answered with a
 * non-fatal error and the message is dropped. A Hello may leave the federation id empty because a
 * site learns it from the Welcome.
 */
public final class EnvelopeValidator extends SimpleChannelInboundHandler<Envelope> {

  private final Supplier<String> expectedFederation;
  private final RejectionListener rejections;

  /**
   * @param expectedFederation the federation id, or null while it is not known yet (accept any)
   */
  public EnvelopeValidator(Supplier<String> expectedFederation, RejectionListener rejections) {
    this.expectedFederation = expectedFederation;
    this.rejections = rejections;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Envelope envelope) {
    String federation = expectedFederation.get();
    String ours = federation == null ? "" : federation;
    if (envelope.getProtocolMajor() != ProtocolVersion.MAJOR) {
      rejections.rejected(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION);
      String detail =
          "peer speaks protocol "
              + ProtocolVersion.describe(envelope.getProtocolMajor(), envelope.getProtocolMinor())
              + ", this side speaks "
              + ProtocolVersion.describe(ProtocolVersion.MAJOR, ProtocolVersion.MINOR);
      ctx.writeAndFlush(
              Envelopes.error(
                  ours,
                  envelope.getRound(),
                  ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION,
                  detail,
                  true))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    boolean helloWithoutFederation = envelope.hasHello() && envelope.getFederationId().isEmpty();
    if (federation != null
        && !helloWithoutFederation
        && !federation.equals(envelope.getFederationId())) {
      rejections.rejected(ErrorCode.ERROR_CODE_WRONG_FEDERATION);
      ctx.writeAndFlush(
          Envelopes.error(
              ours,
              envelope.getRound(),
              ErrorCode.ERROR_CODE_WRONG_FEDERATION,
              "message is for another federation",
              false));
      return;
    }
    ctx.fireChannelRead(envelope);
  }
}
