package org.cohort.protocol.wire;

import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;

/**
 * The ordering rules every chunked stream follows, whatever its element type: one stream, chunks in
 * order covering a vector of a length the receiver chose exactly once, the last chunk (and only it)
 * flagged last.
 */
final class ChunkSequence {

  private final Stream stream;
  private final int length;
  private final int elementBytes;
  private int filled;
  private boolean complete;

  ChunkSequence(Stream stream, int length, int elementBytes) {
    this.stream = stream;
    this.length = length;
    this.elementBytes = elementBytes;
  }

  /** Checks the chunk against the sequence; returns the element offset its data starts at. */
  int admit(TensorChunk chunk) throws InvalidTensorStreamException {
    if (complete) {
      throw new InvalidTensorStreamException("chunk after the end of the stream");
    }
    if (chunk.getStream() != stream) {
      throw new InvalidTensorStreamException(
          "chunk of stream " + chunk.getStream() + " while receiving " + stream);
    }
    if (chunk.getOffset() != filled) {
      throw new InvalidTensorStreamException(
          "chunk offset " + chunk.getOffset() + " but the next expected element is " + filled);
    }
    int bytes = chunk.getData().size();
    if (bytes % elementBytes != 0) {
      throw new InvalidTensorStreamException(
          "chunk data is not a whole number of " + elementBytes + "-byte values");
    }
    int count = bytes / elementBytes;
    if (count > length - filled) {
      throw new InvalidTensorStreamException(
          "chunk runs past the end of a " + length + "-element vector");
    }
    if (count == 0 && length > 0) {
      throw new InvalidTensorStreamException("empty chunk");
    }
    boolean reachedEnd = filled + count == length;
    if (chunk.getLast() != reachedEnd) {
      throw new InvalidTensorStreamException(
          reachedEnd
              ? "final chunk is not flagged last"
              : "chunk flagged last before element " + length);
    }
    return filled;
  }

  /** Records that the admitted chunk's values were stored; true when the vector is complete. */
  boolean stored(TensorChunk chunk) {
    filled += chunk.getData().size() / elementBytes;
    complete = filled == length;
    return complete;
  }

  boolean isComplete() {
    return complete;
  }
}
