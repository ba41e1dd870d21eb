package org.cohort.protocol.wire;

import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * Reassembles a STREAM_MASKED_INPUT stream (little-endian uint32 residues) into a caller-provided
 * int[] of the length the receiver expects, with the same ordering rules as {@link
 * TensorStreamAssembler}. Any 32-bit pattern is a valid residue, so values are not checked.
 */
public final class ResidueStreamAssembler {

  private final ChunkSequence sequence;
  private final int[] target;

  public ResidueStreamAssembler(Stream stream, int[] target) {
    this.sequence = new ChunkSequence(stream, target.length, Integer.BYTES);
    this.target = target;
  }

  /** Adds the next chunk; returns true when the vector is complete. */
  public boolean accept(TensorChunk chunk) throws InvalidTensorStreamException {
    IntsLittleEndian.decode(chunk.getData(), target, sequence.admit(chunk));
    return sequence.stored(chunk);
  }

  public int[] target() {
    return target;
  }
}
