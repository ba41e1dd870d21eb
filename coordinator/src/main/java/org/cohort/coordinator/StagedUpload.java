package org.cohort.coordinator;

import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.wire.InvalidTensorStreamException;

/**
 * An admitted upload being received into a staging buffer on its connection's event loop: the plain
 * path's float update or the secure path's masked input. Exactly one of {@link #completed()} and
 * {@link #failed()} is called, and either hands the buffer back to the round thread.
 */
interface StagedUpload {

  /** Stores the next chunk; true when the vector is complete. */
  boolean accept(TensorChunk chunk) throws InvalidTensorStreamException;

  /** The whole vector arrived: sum it (round thread), then release the buffer. */
  void completed();

  /** The stream was invalid or the connection dropped: the partial vector is discarded unread. */
  void failed();
}
