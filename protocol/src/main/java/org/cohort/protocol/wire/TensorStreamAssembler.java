package org.cohort.protocol.wire;

import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * Reassembles one TensorChunk stream of float32 values into a caller-provided vector whose length
 * the receiver chose (from the model layout), so memory is bounded by the model, not by what the
 * sender claims. Chunks must arrive in order and cover the vector exactly once; the last chunk, and
 * only it, is flagged last. Optionally refuses NaN and infinities (updates must be finite to be
 * averaged).
 */
public final class TensorStreamAssembler {

  private final ChunkSequence sequence;
  private final float[] target;
  private final boolean rejectNonFinite;

  public TensorStreamAssembler(Stream stream, float[] target, boolean rejectNonFinite) {
    this.sequence = new ChunkSequence(stream, target.length, Float.BYTES);
    this.target = target;
    this.rejectNonFinite = rejectNonFinite;
  }

  /** Adds the next chunk; returns true when the vector is complete. */
  public boolean accept(TensorChunk chunk) throws InvalidTensorStreamException {
    int offset = sequence.admit(chunk);
    int count = FloatsLittleEndian.decode(chunk.getData(), target, offset);
    if (rejectNonFinite) {
      for (int i = offset, end = offset + count; i < end; i++) {
        if (!Float.isFinite(target[i])) {
          throw new InvalidTensorStreamException("non-finite value at element " + i);
        }
      }
    }
    return sequence.stored(chunk);
  }

  public boolean isComplete() {
    return sequence.isComplete();
  }

  public float[] target() {
    return target;
  }
}
