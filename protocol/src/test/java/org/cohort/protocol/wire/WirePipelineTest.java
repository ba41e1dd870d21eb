package org.cohort.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Heartbeat;
import org.cohort.protocol.v1.Hello;
import org.junit.jupiter.api.Test;

class WirePipelineTest {

  private static final int MAX_FRAME = 4096;
  private final List<ErrorCode> rejected = new ArrayList<>();

  private EmbeddedChannel channel() {
    EmbeddedChannel channel = new EmbeddedChannel();
    FrameCodec.addTo(channel.pipeline(), MAX_FRAME);
    channel.pipeline().addLast(new EnvelopeValidator(() -> "fed", rejected::add));
    channel.pipeline().addLast(new ProtocolFailureHandler(() -> "fed", rejected::add));
    return channel;
  }

  private static ByteBuf frame(Envelope envelope) {
    byte[] body = envelope.toByteArray();
    return Unpooled.buffer().writeInt(body.length).writeBytes(body);
  }

  private static Envelope readEnvelope(EmbeddedChannel channel) throws Exception {
    ByteBuf out = channel.readOutbound();
    ByteBuf merged = Unpooled.buffer();
    while (out != null) {
      merged.writeBytes(out);
      out.release();
      out = channel.readOutbound();
    }
    int length = merged.readInt();
    byte[] body = new byte[length];
    merged.readBytes(body);
    return Envelope.parseFrom(body);
  }

  private static Envelope heartbeat(int major, String federation) {
    return Envelope.newBuilder()
        .setProtocolMajor(major)
        .setFederationId(federation)
        .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixMs(1))
        .build();
  }

  @Test
  void validEnvelopePassesThrough() {
    EmbeddedChannel channel = channel();
    Envelope sent = heartbeat(ProtocolVersion.MAJOR, "fed");
    channel.writeInbound(frame(sent));
    assertEquals(sent, channel.readInbound());
    assertTrue(channel.isActive());
    assertTrue(rejected.isEmpty());
  }

  @Test
  void otherMajorVersionGetsFatalErrorNamingBothVersions() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(frame(heartbeat(ProtocolVersion.MAJOR + 1, "fed")));
    assertNull(channel.readInbound());
    Envelope reply = readEnvelope(channel);
    assertEquals(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION, reply.getError().getCode());
    assertTrue(reply.getError().getFatal());
    assertTrue(reply.getError().getDetail().contains("protocol 4.0"), reply.getError().getDetail());
    assertTrue(reply.getError().getDetail().contains("speaks 3.0"), reply.getError().getDetail());
    assertFalse(channel.isActive());
    assertEquals(List.of(ErrorCode.ERROR_CODE_UNSUPPORTED_VERSION), rejected);
  }

  @Test
  void otherFederationGetsNonFatalErrorAndIsDropped() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(frame(heartbeat(ProtocolVersion.MAJOR, "other")));
    assertNull(channel.readInbound());
    Envelope reply = readEnvelope(channel);
    assertEquals(ErrorCode.ERROR_CODE_WRONG_FEDERATION, reply.getError().getCode());
    assertFalse(reply.getError().getFatal());
    assertTrue(channel.isActive());
  }

  @Test
  void helloMayOmitTheFederation() {
    EmbeddedChannel channel = channel();
    Envelope hello =
        Envelopes.stamped("", 0).setHello(Hello.newBuilder().setClaimedSiteId("a")).build();
    channel.writeInbound(frame(hello));
    assertEquals(hello, channel.readInbound());
  }

  @Test
  void frameOverTheLimitClosesWithTypedError() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(Unpooled.buffer().writeInt(MAX_FRAME + 1).writeZero(16));
    Envelope reply = readEnvelope(channel);
    assertEquals(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE, reply.getError().getCode());
    assertTrue(reply.getError().getFatal());
    assertFalse(channel.isActive());
    assertEquals(List.of(ErrorCode.ERROR_CODE_FRAME_TOO_LARGE), rejected);
  }

  @Test
  void malformedBytesCloseWithTypedError() throws Exception {
    EmbeddedChannel channel = channel();
    channel.writeInbound(
        Unpooled.buffer()
            .writeInt(6)
            .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3, 4}));
    Envelope reply = readEnvelope(channel);
    assertEquals(ErrorCode.ERROR_CODE_MALFORMED, reply.getError().getCode());
    assertFalse(channel.isActive());
  }
}
