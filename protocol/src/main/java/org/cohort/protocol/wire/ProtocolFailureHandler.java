package org.cohort.protocol.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.cohort.protocol.v1.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of a pipeline: a connection whose bytes cannot be decoded is answered with a fatal
 * typed error and closed. Only this connection suffers; the server keeps serving the others.
 */
public final class ProtocolFailureHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ProtocolFailureHandler.class);

  private final Supplier<String> federation;
  private final RejectionListener rejections;
  private boolean failed;

  public ProtocolFailureHandler(Supplier<String> federation, RejectionListener rejections) {
    this.federation = federation;
    this.rejections = rejections;
  }

  /** The error code for a failure raised while decoding inbound bytes. */
  public static ErrorCode classify(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TooLongFrameException) {
        return ErrorCode.ERROR_CODE_FRAME_TOO_LARGE;
      }
      if (t instanceof InvalidProtocolBufferException || t instanceof CorruptedFrameException) {
        return ErrorCode.ERROR_CODE_MALFORMED;
      }
    }
    return failure instanceof DecoderException
        ? ErrorCode.ERROR_CODE_MALFORMED
        : ErrorCode.ERROR_CODE_INTERNAL;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failed || !ctx.channel().isActive()) {
      return;
    }
    failed = true;
    if (isTransportFailure(cause)) {
      // TLS refusals travel as TLS alerts and resets need no answer: nothing readable can be sent.
      log.info(
          "closing connection {}: {}",
          ctx.channel().remoteAddress(),
          cause.getClass().getSimpleName());
      ctx.close();
      return;
    }
    ErrorCode code = classify(cause);
    if (code == ErrorCode.ERROR_CODE_INTERNAL) {
      log.warn(
          "closing connection {} after an internal failure", ctx.channel().remoteAddress(), cause);
    } else {
      log.info("closing connection {}: {}", ctx.channel().remoteAddress(), code);
      rejections.rejected(code);
    }
    String fed = federation.get();
    ctx.writeAndFlush(Envelopes.error(fed == null ? "" : fed, 0, code, describe(code), true))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static boolean isTransportFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    // Socket errors (resets) arrive unwrapped; decoding errors arrive inside a DecoderException.
    return failure instanceof IOException && !(failure instanceof InvalidProtocolBufferException);
  }

  private static String describe(ErrorCode code) {
    return switch (code) {
      case ERROR_CODE_FRAME_TOO_LARGE -> "frame exceeds the maximum frame size";
      case ERROR_CODE_MALFORMED -> "bytes are not a valid envelope";
      default -> "internal error";
    };
  }
}
