package org.cohort.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NeighbourGraphTest {
  private static byte[] seed(int value) {
    byte[] seed = new byte[32];
    seed[0] = (byte) value;
    return seed;
  }

  @Test
  void hararyGraphIsRegularSymmetricConnectedAndDeterministic() {
    NeighbourGraph graph = NeighbourGraph.harary(50, 8, seed(1));
    for (int i = 0; i < 50; i++) {
      assertEquals(8, graph.neighbours(i).length);
      for (int j : graph.neighbours(i)) {
        assertTrue(graph.adjacent(j, i));
      }
      assertFalse(graph.adjacent(i, i));
    }
    assertEquals(50, reachableFrom(graph, 0));
    NeighbourGraph again = NeighbourGraph.harary(50, 8, seed(1));
    NeighbourGraph other = NeighbourGraph.harary(50, 8, seed(2));
    boolean allSame = true;
    boolean anyDifferent = false;
    for (int i = 0; i < 50; i++) {
      allSame &= Arrays.equals(graph.neighbours(i), again.neighbours(i));
      anyDifferent |= !Arrays.equals(graph.neighbours(i), other.neighbours(i));
    }
    assertTrue(allSame);
    assertTrue(anyDifferent);
  }

  @Test
  void completeGraphJoinsEveryPair() {
    NeighbourGraph graph = NeighbourGraph.complete(6);
    for (int i = 0; i < 6; i++) {
      assertEquals(5, graph.neighbours(i).length);
    }
  }

  @Test
  void binomialTailsMatchClosedForms() {
    // P[Bin(10, 1/2) ≥ 8] = (45 + 10 + 1) / 1024
    assertEquals(56.0 / 1024, Math.exp(GraphPlan.logUpperTail(10, 0.5, 8)), 1e-15);
    // P[Bin(20, 0.3) < 3] = 0.7^20 + 20·0.3·0.7^19 + 190·0.09·0.7^18
    double expected =
        Math.pow(0.7, 20) + 20 * 0.3 * Math.pow(0.7, 19) + 190 * 0.09 * Math.pow(0.7, 18);
    assertEquals(expected, Math.exp(GraphPlan.logLowerTail(20, 0.3, 3)), 1e-15);
  }

  @Test
  void chosenPlanMeetsTheStatedBounds() {
    int sites = 1000;
    GraphPlan plan = GraphPlan.choose(sites, 0.1, 0.1, 40, 30);
    assertEquals(NeighbourGraph.Kind.HARARY, plan.kind());
    int k = plan.degree();
    int t = plan.threshold();
    double logN = Math.log(sites);
    assertTrue(logN + GraphPlan.logLowerTail(k, 0.9, t) <= -30 * Math.log(2));
    assertTrue(logN + GraphPlan.logUpperTail(k, 0.1, t) <= -40 * Math.log(2));
    assertTrue(logN + (k / 2) * Math.log(0.2) <= -40 * Math.log(2));
    // Minimality: k − 2 fails the connectivity bound or has no valid t.
    assertThrows(
        AssertionError.class,
        () -> {
          boolean smallerWorks = logN + ((k - 2) / 2) * Math.log(0.2) <= -40 * Math.log(2);
          for (int smallerT = (k - 2) / 2 + 1; smallerWorks && smallerT <= k - 2; smallerT++) {
            if (logN + GraphPlan.logUpperTail(k - 2, 0.1, smallerT) <= -40 * Math.log(2)
                && logN + GraphPlan.logLowerTail(k - 2, 0.9, smallerT) <= -30 * Math.log(2)) {
              return;
            }
          }
          throw new AssertionError("no smaller plan");
        });
  }

  @Test
  void smallFederationsFallBackToTheCompleteGraphOrFailClearly() {
    assertEquals(GraphPlan.harary(20, 11), GraphPlan.choose(30, 0.05, 0.05, 20, 20));
    assertEquals(GraphPlan.complete(30, 15), GraphPlan.choose(30, 0.1, 0.1, 20, 20));
    SecAggException.InfeasibleGraph error =
        assertThrows(
            SecAggException.InfeasibleGraph.class, () -> GraphPlan.choose(12, 0.05, 0.05, 40, 30));
    assertTrue(error.getMessage().contains("sites=12"));
  }

  private static int reachableFrom(NeighbourGraph graph, int start) {
    boolean[] seen = new boolean[graph.size()];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(start);
    seen[start] = true;
    int count = 1;
    while (!queue.isEmpty()) {
      for (int next : graph.neighbours(queue.poll())) {
        if (!seen[next]) {
          seen[next] = true;
          count++;
          queue.add(next);
        }
      }
    }
    return count;
  }
}
