package org.cohort.it;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.cohort.protocol.v1.Envelope;

/** The envelopes in bytes a {@link PlaintextFrames} tap captured, in the order they were sent. */
final class SentFrames {

  private SentFrames() {}

  static List<Envelope> parse(ByteArrayOutputStream captured) {
    byte[] bytes;
    synchronized (captured) {
      bytes = captured.toByteArray();
    }
    ByteBuffer frames = ByteBuffer.wrap(bytes);
    List<Envelope> envelopes = new ArrayList<>();
    while (frames.remaining() >= 4 && frames.remaining() - 4 >= frames.getInt(frames.position())) {
      byte[] body = new byte[frames.getInt()];
      frames.get(body);
      try {
        envelopes.add(Envelope.parseFrom(body));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("the site sent a frame that is not an envelope", e);
      }
    }
    return envelopes;
  }
}
