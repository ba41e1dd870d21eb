package org.cohort.coordinator;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.ResidueStreamAssembler;
import org.cohort.protocol.wire.TensorStreamAssembler;

/**
 * Receives uploads into a fixed pool of model-sized buffers ({@link BufferPool}) before they reach
 * the round: memory is O(buffers × model) whatever the number of sites, and only a complete upload
 * is ever folded, so a site that drops mid-upload leaves nothing behind. Chunks land in the buffer
 * on the connection's event loop; every decision (admit, fold, recycle) runs on the round thread,
 * so a buffer is never recycled while the round still reads it.
 */
final class UploadStaging<B> {

  /** The round's side of one upload; every method runs on the round thread. */
  interface Target<B> {
    /** Whether the upload still belongs to the current round and connection. */
    boolean wanted();

    /** The whole vector arrived; the buffer is recycled as soon as this returns. */
    void completed(B buffer);

    /** The stream was invalid or the connection dropped; nothing of it was folded. */
    void failed();
  }

  @FunctionalInterface
  private interface ChunkReceiver {
    boolean accept(TensorChunk chunk) throws InvalidTensorStreamException;
  }

  private final BufferPool<B> pool;
  private final Function<B, ChunkReceiver> receiver;
  private final Consumer<B> recycle;
  private final Executor roundThread;

  /**
   * Uploads admitted and not yet completed or failed, with their channels; round-thread confined.
   */
  private final Map<StagedUpload, SiteChannel> granted = new IdentityHashMap<>();

  private UploadStaging(
      BufferPool<B> pool,
      Function<B, ChunkReceiver> receiver,
      Consumer<B> wipe,
      Executor roundThread) {
    this.pool = pool;
    this.receiver = receiver;
    this.recycle =
        buffer -> {
          wipe.accept(buffer);
          pool.release(buffer);
        };
    this.roundThread = roundThread;
  }

  /** Plain float32 updates. */
  static UploadStaging<float[]> updates(int buffers, int elements, Executor roundThread) {
    return new UploadStaging<>(
        BufferPool.floats(buffers, elements),
        buffer -> new TensorStreamAssembler(Stream.STREAM_UPDATE, buffer, true)::accept,
        buffer -> {},
        roundThread);
  }

  /** Masked inputs; each is wiped before another site's lands in the same buffer. */
  static UploadStaging<int[]> maskedInputs(int buffers, int elements, Executor roundThread) {
    return new UploadStaging<>(
        BufferPool.ints(buffers, elements),
        buffer -> new ResidueStreamAssembler(Stream.STREAM_MASKED_INPUT, buffer)::accept,
        buffer -> Arrays.fill(buffer, 0),
        roundThread);
  }

  /**
   * Asks for a buffer; the channel reads nothing more until it is granted. A grant that arrives
   * after the round moved on goes straight back to the pool, so stale uploads never hold buffers
   * that the next round's uploads are waiting for.
   */
  void stage(SiteChannel channel, long round, Target<B> target) {
    pool.acquire(
        buffer ->
            roundThread.execute(
                () -> {
                  if (!target.wanted()) {
                    recycle.accept(buffer);
                    channel.refuseUpload(
                        round, ErrorCode.ERROR_CODE_WRONG_ROUND, "round " + round + " is over");
                    return;
                  }
                  StagedUpload upload = upload(buffer, target);
                  granted.put(upload, channel);
                  channel.admitUpload(upload);
                }));
  }

  /**
   * Every grant still being received expires (its phase closed): each channel stops writing into
   * its buffer and fails the upload, which returns the buffer. Without this, a site that announced
   * an upload and then sent nothing would hold a buffer for good, and with it every later round.
   */
  void revokeAll() {
    granted.forEach((upload, channel) -> channel.revokeUpload(upload));
  }

  private StagedUpload upload(B buffer, Target<B> target) {
    ChunkReceiver chunks = receiver.apply(buffer);
    return new StagedUpload() {
      @Override
      public boolean accept(TensorChunk chunk) throws InvalidTensorStreamException {
        return chunks.accept(chunk);
      }

      @Override
      public void completed() {
        roundThread.execute(
            () -> {
              granted.remove(this);
              try {
                if (target.wanted()) {
                  target.completed(buffer);
                }
              } finally {
                recycle.accept(buffer);
              }
            });
      }

      @Override
      public void failed() {
        roundThread.execute(
            () -> {
              granted.remove(this);
              recycle.accept(buffer);
              target.failed();
            });
      }
    };
  }
}
