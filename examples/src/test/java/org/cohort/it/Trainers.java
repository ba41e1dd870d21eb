package org.cohort.it;

import org.cohort.site.training.LocalTrainer;

/** The real (ND4J) trainers the integration tests use. */
final class Trainers {

  private Trainers() {}

  static LocalTrainer real(TestFederation federation, int hospital) {
    return Nd4jLogisticTrainer.synthetic(hospital, 200, TestFederation.FEATURES);
  }
}
