package org.cohort.coordinator;

/** The plain path's staging pool: K float[] buffers of the model's size (see {@link BufferPool}). */
final class StagingPool extends BufferPool<float[]> {

  StagingPool(int buffers, int elements) {
    super(buffers, () -> new float[elements]);
  }

  @Override
  void release(float[] buffer) {
    super.release(buffer);
  }
}
