package org.cohort.protocol.wire;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import org.cohort.protocol.v1.Envelope;

/**
 * Frames are a 4-byte big-endian length followed by one serialized {@link Envelope}. The decoder
 * fails fast (TooLongFrameException) as soon as a length above {@code maxFrameBytes} is read, so a
 * peer can never make us buffer more than one maximum frame. Encoding and decoding copy a tensor
 * chunk's bytes once each way (see {@link EnvelopeFrameEncoder}, {@link EnvelopeDecoder}).
 */
public final class FrameCodec {

  public static final int LENGTH_FIELD_BYTES = 4;

  /** Smallest limit that still fits a chunk of a few elements plus envelope overhead. */
  public static final int MIN_FRAME_BYTES = 1024;

  /**
   * Plaintext handed to the TLS engine per wrap call. BoringSSL still cuts it into 16 KiB records,
   * but one call per 256 KiB instead of per record makes bulk transfer cheaper (TransportCeiling,
   * docs/benchmarks.md); the JDK engine ignores the setting.
   */
  static final int TLS_WRAP_BYTES = 256 * 1024;

  private FrameCodec() {}

  public static void addTo(ChannelPipeline pipeline, int maxFrameBytes) {
    if (maxFrameBytes < MIN_FRAME_BYTES) {
      throw new IllegalArgumentException("max frame bytes must be >= " + MIN_FRAME_BYTES);
    }
    SslHandler tls = pipeline.get(SslHandler.class);
    if (tls != null) {
      tls.setWrapDataSize(TLS_WRAP_BYTES);
    }
    pipeline.addLast(
        "frame-decoder",
        new LengthFieldBasedFrameDecoder(
            maxFrameBytes, 0, LENGTH_FIELD_BYTES, 0, LENGTH_FIELD_BYTES, true));
    pipeline.addLast("frame-encoder", new EnvelopeFrameEncoder());
    pipeline.addLast("envelope-decoder", new EnvelopeDecoder());
  }

  /**
   * Envelope overhead a TensorChunk needs besides its float data; chunk sizes must leave room for
   * it.
   */
  public static final int CHUNK_OVERHEAD_BYTES = 256;

  /** The largest number of float32 elements that fits a frame of {@code maxFrameBytes}. */
  public static int maxChunkElements(int maxFrameBytes) {
    return (maxFrameBytes - CHUNK_OVERHEAD_BYTES) / Float.BYTES;
  }
}
