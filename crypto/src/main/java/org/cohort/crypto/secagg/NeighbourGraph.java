package org.cohort.crypto.secagg;

import java.util.Arrays;

/**
 * Who masks with and shares secrets to whom, over participant indices 0..n−1. Derived only from
 * public data (the round's participant list, plan and graph seed), so every party computes the same
 * graph without talking.
 */
public final class NeighbourGraph {
  public enum Kind {
    COMPLETE,
    HARARY
  }

  private final int size;
  private final int[][] neighbours;

  private NeighbourGraph(int[][] neighbours) {
    this.size = neighbours.length;
    this.neighbours = neighbours;
  }

  static NeighbourGraph of(GraphPlan plan, int size, byte[] publicSeed) {
    if (plan.kind() == Kind.COMPLETE) {
      if (plan.degree() != size - 1) {
        throw new SecAggException.InvalidParameters(
            "complete graph on " + size + " sites has degree " + (size - 1));
      }
      return complete(size);
    }
    return harary(size, plan.degree(), publicSeed);
  }

  static NeighbourGraph complete(int size) {
    int[][] neighbours = new int[size][];
    for (int i = 0; i < size; i++) {
      int[] list = new int[size - 1];
      for (int j = 0, n = 0; j < size; j++) {
        if (j != i) {
          list[n++] = j;
        }
      }
      neighbours[i] = list;
    }
    return new NeighbourGraph(neighbours);
  }

  /** H(k, n) over a uniformly random ring order drawn from the public seed. */
  static NeighbourGraph harary(int size, int degree, byte[] publicSeed) {
    if (degree >= size - 1) {
      throw new SecAggException.InvalidParameters(
          "Harary degree "
              + degree
              + " must be below sites-1 = "
              + (size - 1)
              + "; use the complete graph");
    }
    int[] ring = randomPermutation(size, publicSeed);
    int[] position = new int[size];
    for (int p = 0; p < size; p++) {
      position[ring[p]] = p;
    }
    int[][] neighbours = new int[size][];
    int half = degree / 2;
    for (int i = 0; i < size; i++) {
      int[] list = new int[degree];
      int n = 0;
      for (int offset = 1; offset <= half; offset++) {
        list[n++] = ring[Math.floorMod(position[i] + offset, size)];
        list[n++] = ring[Math.floorMod(position[i] - offset, size)];
      }
      Arrays.sort(list);
      neighbours[i] = list;
    }
    return new NeighbourGraph(neighbours);
  }

  private static int[] randomPermutation(int size, byte[] publicSeed) {
    Keystream stream = new Keystream(SecAggKdf.graphKey(publicSeed));
    int[] word = new int[1];
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    for (int i = size - 1; i > 0; i--) {
      int j = uniformBelow(stream, word, i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /** Unbiased draw from [0, bound) by rejection. */
  private static int uniformBelow(Keystream stream, int[] word, int bound) {
    long limit = (1L << 32) - ((1L << 32) % bound);
    while (true) {
      stream.next(word, 1);
      long value = word[0] & 0xffffffffL;
      if (value < limit) {
        return (int) (value % bound);
      }
    }
  }

  public int size() {
    return size;
  }

  /** Sorted neighbour indices of {@code index}. */
  public int[] neighbours(int index) {
    return neighbours[index].clone();
  }

  int[] neighboursView(int index) {
    return neighbours[index];
  }

  public boolean adjacent(int a, int b) {
    return a != b && Arrays.binarySearch(neighbours[a], b) >= 0;
  }
}
