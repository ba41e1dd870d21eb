package org.cohort.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.cohort.site.training.LocalTrainer;
import org.cohort.site.training.TrainerFactory;

/** The real (ND4J) trainers the integration tests use, built like the site CLI builds them. */
final class Trainers {

  private Trainers() {}

  /**
   * A synthetic hospital of 200 patients ({@code data: {source: synthetic, hospital: h, seed: 1,
   * rows: 200}}).
   */
  static LocalTrainer real(TestFederation federation, int hospital) {
    return TrainerFactory.fromConfig(
        new ObjectMapper()
            .valueToTree(
                Map.of("source", "synthetic", "hospital", hospital, "seed", 1, "rows", 200)),
        federation.root());
  }
}
