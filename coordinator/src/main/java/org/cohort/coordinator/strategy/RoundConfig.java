package org.cohort.coordinator.strategy;

import java.util.List;
import org.cohort.protocol.v1.TrainingSettings;

/** What configureRound decided: which sites take part and the training settings they get. */
public record RoundConfig(List<String> participants, TrainingSettings training) {

  public RoundConfig {
    participants = List.copyOf(participants);
  }
}
