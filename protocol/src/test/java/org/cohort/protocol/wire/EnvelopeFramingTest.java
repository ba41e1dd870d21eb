package org.cohort.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.SplittableRandom;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.junit.jupiter.api.Test;

/** The frame encoder and decoder that replace Netty's protobuf codec must keep the wire format. */
class EnvelopeFramingTest {

  private static final int ELEMENTS = 70_000;
  private static final int MAX_FRAME = 1 << 20;

  private static Envelope chunk() {
    float[] values = new float[ELEMENTS];
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return Envelopes.stamped("fed", 7)
        .setTensorChunk(
            TensorChunk.newBuilder()
                .setStream(Stream.STREAM_UPDATE)
                .setOffset(123_456)
                .setLast(true)
                .setData(FloatsLittleEndian.encode(values, 0, values.length)))
        .build();
  }

  private static EmbeddedChannel codec() {
    EmbeddedChannel channel = new EmbeddedChannel();
    FrameCodec.addTo(channel.pipeline(), MAX_FRAME);
    return channel;
  }

  @Test
  void encodesLengthBufferThenProtobufBytes() {
    Envelope envelope = chunk();
    EmbeddedChannel channel = codec();
    channel.writeOutbound(envelope);
    ByteBuf length = channel.readOutbound();
    ByteBuf frame = channel.readOutbound();
    byte[] body = envelope.toByteArray();
    assertEquals(FrameCodec.LENGTH_FIELD_BYTES, length.readableBytes());
    assertEquals(body.length, length.getInt(length.readerIndex()));
    assertArrayEquals(body, ByteBufUtil.getBytes(frame));
    assertNull(channel.readOutbound());
    length.release();
    frame.release();
  }

  @Test
  void decodesWhatItEncodes() {
    Envelope envelope = chunk();
    EmbeddedChannel sender = codec();
    EmbeddedChannel receiver = codec();
    sender.writeOutbound(envelope);
    receiver.writeInbound((ByteBuf) sender.readOutbound(), (ByteBuf) sender.readOutbound());
    assertEquals(envelope, receiver.readInbound());
  }

  @Test
  void decodedChunkDoesNotShareTheRecycledFrameBuffer() {
    Envelope envelope = chunk();
    byte[] body = envelope.toByteArray();
    ByteBuf frame =
        PooledByteBufAllocator.DEFAULT.directBuffer().writeInt(body.length).writeBytes(body);
    EmbeddedChannel receiver = codec();
    receiver.writeInbound(frame.retain()); // our extra reference outlives the pipeline's release
    Envelope decoded = receiver.readInbound();
    assertEquals(1, frame.refCnt());
    // Once released, the pool hands the frame's memory to the next read; overwrite it as that
    // would.
    frame.setZero(0, frame.capacity());
    frame.release();
    assertEquals(envelope, decoded);
    assertArrayEquals(body, decoded.toByteArray());
  }
}
