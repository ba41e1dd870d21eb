package org.cohort.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.cohort.protocol.v1.Stream;
import org.junit.jupiter.api.Test;

/** A vector encoded once must put the same bytes on every connection as per-connection encoding. */
class EncodedTensorTest {

  private static final int CHUNK_ELEMENTS = 1000;
  private static final int MAX_FRAME = 1 << 20;

  private static float[] values(int n) {
    float[] values = new float[n];
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static EmbeddedChannel sender() {
    EmbeddedChannel channel = new EmbeddedChannel();
    FrameCodec.addTo(channel.pipeline(), MAX_FRAME);
    channel.pipeline().addLast(new ChunkedWriteHandler());
    return channel;
  }

  private static byte[] written(EmbeddedChannel channel) {
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
      all.writeBytes(out);
      out.release();
    }
    return ByteBufUtil.getBytes(all);
  }

  @Test
  void everyStreamWritesTheBytesOfPerConnectionEncoding() {
    float[] model = values(3 * CHUNK_ELEMENTS + 17);
    EmbeddedChannel reference = sender();
    reference.writeAndFlush(
        new TensorChunkInput(model, CHUNK_ELEMENTS, "fed", 4, Stream.STREAM_GLOBAL_MODEL));
    byte[] expected = written(reference);

    EncodedTensor encoded =
        EncodedTensor.of(model, CHUNK_ELEMENTS, "fed", 4, Stream.STREAM_GLOBAL_MODEL);
    EmbeddedChannel first = sender();
    EmbeddedChannel second = sender();
    encoded.writeTo(first);
    encoded.writeTo(second);
    encoded.close();

    assertArrayEquals(expected, written(first));
    assertArrayEquals(expected, written(second));
    assertEquals(0, encoded.refCnt(), "the frames are freed once every stream is written");
  }

  @Test
  void anEmptyVectorIsOneEmptyChunkFlaggedLast() {
    EmbeddedChannel reference = sender();
    reference.writeAndFlush(
        new TensorChunkInput(new float[0], CHUNK_ELEMENTS, "fed", 1, Stream.STREAM_GLOBAL_MODEL));
    EncodedTensor encoded =
        EncodedTensor.of(new float[0], CHUNK_ELEMENTS, "fed", 1, Stream.STREAM_GLOBAL_MODEL);
    EmbeddedChannel channel = sender();
    encoded.writeTo(channel);
    encoded.close();
    assertArrayEquals(written(reference), written(channel));
  }

  @Test
  void aStreamCutShortByAClosedChannelStillReleasesItsReference() {
    EncodedTensor encoded =
        EncodedTensor.of(
            values(5 * CHUNK_ELEMENTS), CHUNK_ELEMENTS, "fed", 2, Stream.STREAM_UPDATE);
    EmbeddedChannel channel = sender();
    channel.close();
    encoded.writeTo(channel);
    encoded.close();
    assertNull(channel.readOutbound());
    assertEquals(0, encoded.refCnt());
  }

  @Test
  void theCallerMayChangeTheArrayOnceEncoded() {
    float[] model = values(2 * CHUNK_ELEMENTS);
    EmbeddedChannel reference = sender();
    reference.writeAndFlush(
        new TensorChunkInput(model.clone(), CHUNK_ELEMENTS, "fed", 3, Stream.STREAM_GLOBAL_MODEL));
    EncodedTensor encoded =
        EncodedTensor.of(model, CHUNK_ELEMENTS, "fed", 3, Stream.STREAM_GLOBAL_MODEL);
    Arrays.fill(model, 9f);
    EmbeddedChannel channel = sender();
    encoded.writeTo(channel);
    encoded.close();
    byte[] sent = written(channel);
    assertTrue(sent.length > 0);
    assertArrayEquals(written(reference), sent);
  }
}
