package org.cohort.protocol.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.util.ArrayList;
import java.util.List;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.junit.jupiter.api.Test;

class TensorStreamTest {

  private static float[] vector(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i * 0.5f - 3;
    }
    return v;
  }

  private static List<TensorChunk> chunks(float[] values, int chunkElements) {
    TensorChunkInput input =
        new TensorChunkInput(values, chunkElements, "fed", 3, Stream.STREAM_UPDATE);
    List<TensorChunk> out = new ArrayList<>();
    while (!input.isEndOfInput()) {
      Envelope e = input.readChunk(io.netty.buffer.ByteBufAllocator.DEFAULT);
      assertEquals(3, e.getRound());
      out.add(e.getTensorChunk());
    }
    return out;
  }

  @Test
  void chunksReassembleExactly() throws Exception {
    float[] values = vector(10);
    List<TensorChunk> chunks = chunks(values, 4);
    assertEquals(3, chunks.size());
    TensorStreamAssembler assembler =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[10], true);
    assertFalse(assembler.accept(chunks.get(0)));
    assertFalse(assembler.accept(chunks.get(1)));
    assertTrue(assembler.accept(chunks.get(2)));
    assertArrayEquals(values, assembler.target());
  }

  @Test
  void gapsOverlapsOverrunsAndWrongFlagsAreRefused() throws Exception {
    List<TensorChunk> chunks = chunks(vector(10), 4);
    TensorStreamAssembler gap =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[10], true);
    gap.accept(chunks.get(0));
    assertThrows(InvalidTensorStreamException.class, () -> gap.accept(chunks.get(2)));

    TensorStreamAssembler overlap =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[10], true);
    overlap.accept(chunks.get(0));
    assertThrows(InvalidTensorStreamException.class, () -> overlap.accept(chunks.get(0)));

    TensorStreamAssembler overrun =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[6], true);
    overrun.accept(chunks.get(0));
    assertThrows(InvalidTensorStreamException.class, () -> overrun.accept(chunks.get(1)));

    TensorStreamAssembler earlyLast =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[10], true);
    assertThrows(
        InvalidTensorStreamException.class,
        () -> earlyLast.accept(chunks.get(0).toBuilder().setLast(true).build()));

    TensorStreamAssembler wrongStream =
        new TensorStreamAssembler(Stream.STREAM_GLOBAL_MODEL, new float[10], true);
    assertThrows(InvalidTensorStreamException.class, () -> wrongStream.accept(chunks.get(0)));

    TensorStreamAssembler ragged =
        new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[10], true);
    assertThrows(
        InvalidTensorStreamException.class,
        () ->
            ragged.accept(
                chunks.get(0).toBuilder()
                    .setData(chunks.get(0).getData().substring(0, 5))
                    .build()));
  }

  @Test
  void nonFiniteValuesAreRefusedWhereAsked() throws Exception {
    float[] values = vector(4);
    values[2] = Float.NaN;
    TensorChunk chunk = chunks(values, 4).get(0);
    assertThrows(
        InvalidTensorStreamException.class,
        () -> new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[4], true).accept(chunk));
    assertTrue(new TensorStreamAssembler(Stream.STREAM_UPDATE, new float[4], false).accept(chunk));
  }

  @Test
  void writerSendsOnlyWhileTheChannelIsWritable() {
    EmbeddedChannel channel = new EmbeddedChannel(new ChunkedWriteHandler());
    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    channel.runPendingTasks();
    assertFalse(channel.isWritable());

    float[] values = vector(100);
    var done =
        channel.writeAndFlush(
            new TensorChunkInput(values, 10, "fed", 1, Stream.STREAM_GLOBAL_MODEL));
    assertEquals(0, channel.outboundMessages().size(), "nothing may be written while unwritable");

    channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    channel.runPendingTasks();
    assertTrue(done.isSuccess());
    float[] received = new float[100];
    TensorStreamAssembler assembler =
        new TensorStreamAssembler(Stream.STREAM_GLOBAL_MODEL, received, false);
    int count = 0;
    for (Object message; (message = channel.readOutbound()) != null; count++) {
      try {
        assembler.accept(((Envelope) message).getTensorChunk());
      } catch (InvalidTensorStreamException e) {
        throw new AssertionError(e);
      }
    }
    assertEquals(10, count);
    assertTrue(assembler.isComplete());
    assertArrayEquals(values, received);
  }
}
