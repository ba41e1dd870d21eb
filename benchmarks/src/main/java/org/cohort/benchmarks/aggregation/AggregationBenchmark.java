package org.cohort.benchmarks.aggregation;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.cohort.coordinator.aggregate.StreamingSum;
import org.cohort.coordinator.strategy.FedAvg;
import org.cohort.coordinator.strategy.StrategyName;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.wire.FloatsLittleEndian;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.TensorStreamAssembler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The coordinator's aggregation path without the network: for each of N updates, take a buffer from
 * the real staging {@code BufferPool}, reassemble the update from its wire chunks with {@link
 * TensorStreamAssembler} (little-endian decode and the finiteness check, as a connection does),
 * fold it into the real {@code StreamingSum}, give the buffer back; finally apply the mean to the
 * base model. Memory must not depend on N: run it with a small fixed heap ({@code -Xmx64m} holds a
 * 1M-parameter model's four staging buffers, the double accumulator and the chunks of one update)
 * and it either completes every N or fails with OutOfMemoryError.
 */
@Command(
    name = "aggregation-benchmark",
    mixinStandardHelpOptions = true,
    description = "Updates/s and heap of the coordinator's streaming weighted sum.")
public final class AggregationBenchmark implements Callable<Integer> {

  @Option(
      names = "--updates",
      split = ",",
      defaultValue = "10,50,100",
      description = "numbers of updates per aggregation (default ${DEFAULT-VALUE})")
  List<Integer> updateCounts;

  @Option(
      names = "--params",
      defaultValue = "1000000",
      description = "parameters per update (default ${DEFAULT-VALUE})")
  int parameters;

  @Option(
      names = "--chunk-elements",
      defaultValue = "262144",
      description =
          "float32 elements per wire chunk (default ${DEFAULT-VALUE}, the config's usual value)")
  int chunkElements;

  @Option(
      names = "--staging-buffers",
      defaultValue = "4",
      description = "staging buffers (default ${DEFAULT-VALUE})")
  int stagingBuffers;

  @Option(
      names = "--repeats",
      defaultValue = "3",
      description = "timed repetitions per N; the best is reported")
  int repeats;

  public static void main(String[] args) {
    System.exit(new CommandLine(new AggregationBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<TensorChunk> chunks = wireChunks(parameters, chunkElements);
    float[] base = new float[parameters];
    HeapWatch heap = new HeapWatch();
    // Warm-up: let the JIT compile decode and fold before anything is timed.
    aggregate(chunks, base, 10);
    System.out.printf(
        "aggregation of %,d-parameter updates, %d staging buffers, %,d elements per chunk, max heap %s%n",
        parameters, stagingBuffers, chunkElements, HeapWatch.mib(HeapWatch.maxHeapBytes()));
    System.out.printf("load average before: %s%n", HeapWatch.loadAverage());
    System.out.printf("%8s %12s %12s %14s%n", "updates", "updates/s", "GB/s in", "heap peak");
    for (int n : updateCounts) {
      double bestSeconds = Double.MAX_VALUE;
      heap.reset();
      for (int r = 0; r < repeats; r++) {
        long start = System.nanoTime();
        aggregate(chunks, base, n);
        bestSeconds = Math.min(bestSeconds, (System.nanoTime() - start) / 1e9);
      }
      double perSecond = n / bestSeconds;
      System.out.printf(
          "%8d %12.1f %12.2f %14s%n",
          n,
          perSecond,
          perSecond * parameters * Float.BYTES / 1e9,
          HeapWatch.mib(heap.peakHeapBytes()));
    }
    System.out.printf("load average after: %s%n", HeapWatch.loadAverage());
    return 0;
  }

  /** One aggregation round of {@code n} identical updates; returns the new model. */
  private float[] aggregate(List<TensorChunk> chunks, float[] base, int n)
      throws InvalidTensorStreamException {
    CoordinatorAccumulator.Pool pool = new CoordinatorAccumulator.Pool(stagingBuffers, parameters);
    StreamingSum sum = new StreamingSum(parameters);
    for (int i = 0; i < n; i++) {
      float[] staging = pool.acquire();
      TensorStreamAssembler assembler =
          new TensorStreamAssembler(Stream.STREAM_UPDATE, staging, true);
      for (TensorChunk chunk : chunks) {
        assembler.accept(chunk);
      }
      if (!assembler.isComplete()) {
        throw new IllegalStateException("update incomplete");
      }
      sum.add("site", staging, 100 + i);
      pool.release(staging);
    }
    return new FedAvg(StrategyName.FEDAVG).apply(base, sum.result());
  }

  /** An update as the coordinator receives it: chunks parsed from their serialized bytes. */
  private static List<TensorChunk> wireChunks(int parameters, int chunkElements)
      throws InvalidProtocolBufferException {
    float[] update = new float[parameters];
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < parameters; i++) {
      update[i] = (float) random.nextGaussian() * 1e-3f;
    }
    List<TensorChunk> chunks = new ArrayList<>();
    for (int offset = 0; offset < parameters; offset += chunkElements) {
      int length = Math.min(chunkElements, parameters - offset);
      byte[] wire =
          TensorChunk.newBuilder()
              .setStream(Stream.STREAM_UPDATE)
              .setOffset(offset)
              .setData(FloatsLittleEndian.encode(update, offset, length))
              .setLast(offset + length == parameters)
              .build()
              .toByteArray();
      chunks.add(TensorChunk.parseFrom(wire));
    }
    return chunks;
  }
}
