package org.cohort.coordinator.strategy;

import java.util.Arrays;
import java.util.Optional;

/** Every server strategy, with its configuration and checkpoint spelling: the one list of names. */
public enum StrategyName {
  FEDAVG("fedavg", false),
  FEDPROX("fedprox", false),
  FEDAVGM("fedavgm", false),
  FEDADAGRAD("fedadagrad", false),
  FEDADAM("fedadam", false),
  FEDYOGI("fedyogi", false),
  MEDIAN("median", true),
  TRIMMED_MEAN("trimmed-mean", true),
  KRUM("krum", true),
  MULTI_KRUM("multi-krum", true);

  private final String spelling;
  private final boolean robust;

  StrategyName(String spelling, boolean robust) {
    this.spelling = spelling;
    this.robust = robust;
  }

  public String spelling() {
    return spelling;
  }

  /** Aggregates with a Byzantine-robust rule, which needs each site's individual update. */
  public boolean robust() {
    return robust;
  }

  public static Optional<StrategyName> fromSpelling(String spelling) {
    return Arrays.stream(values()).filter(n -> n.spelling.equals(spelling)).findFirst();
  }

  @Override
  public String toString() {
    return spelling;
  }
}
