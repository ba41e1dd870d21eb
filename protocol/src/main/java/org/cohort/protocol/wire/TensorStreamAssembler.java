package org.cohort.protocol.wire;

import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * Reassembles one TensorChunk stream into a caller-provided vector whose length the receiver chose
 * (from the model layout), so memory is bounded by the model, not by what the sender claims.
 * Chunks must arrive in order and cover the vector exactly once; the last chunk, and only it, is
 * flagged last. Optionally refuses NaN and infinities (updates must be finite to be averaged).
 */
public final class TensorStreamAssembler {

  private final Stream stream;
  private final float[] target;
  private final boolean rejectNonFinite;
  private int filled;
  private boolean complete;

  public TensorStreamAssembler(Stream stream, float[] target, boolean rejectNonFinite) {
    this.stream = stream;
    this.target = target;
    this.rejectNonFinite = rejectNonFinite;
  }

  /** Adds the next chunk; returns true when the vector is complete. */
  public boolean accept(TensorChunk chunk) throws InvalidTensorStreamException {
    if (complete) {
      throw new InvalidTensorStreamException("chunk after the end of the stream");
    }
    if (chunk.getStream() != stream) {
      throw new InvalidTensorStreamException("chunk of stream " + chunk.getStream() + " while receiving " + stream);
    }
    if (chunk.getOffset() != filled) {
      throw new InvalidTensorStreamException(
          "chunk offset " + chunk.getOffset() + " but the next expected element is " + filled);
    }
    int bytes = chunk.getData().size();
    if (bytes % Float.BYTES != 0) {
      throw new InvalidTensorStreamException("chunk data is not a whole number of float32 values");
    }
    int count = bytes / Float.BYTES;
    if (count > target.length - filled) {
      throw new InvalidTensorStreamException("chunk runs past the end of a " + target.length + "-element vector");
    }
    if (count == 0 && target.length > 0) {
      throw new InvalidTensorStreamException("empty chunk");
    }
    FloatsLittleEndian.decode(chunk.getData(), target, filled);
    if (rejectNonFinite) {
      for (int i = filled, end = filled + count; i < end; i++) {
        if (!Float.isFinite(target[i])) {
          throw new InvalidTensorStreamException("non-finite value at element " + i);
        }
      }
    }
    filled += count;
    boolean reachedEnd = filled == target.length;
    if (chunk.getLast() != reachedEnd) {
      throw new InvalidTensorStreamException(reachedEnd
          ? "final chunk is not flagged last" : "chunk flagged last before element " + target.length);
    }
    complete = reachedEnd;
    return complete;
  }

  public boolean isComplete() {
    return complete;
  }

  public float[] target() {
    return target;
  }
}
