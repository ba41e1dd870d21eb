package org.cohort.examples;

import java.util.List;
import java.util.Locale;
import org.cohort.protocol.v1.ModelSpec;

/** The model kinds the examples offer (picocli accepts them case-insensitively: logreg, mlp). */
public enum ModelKind {
  LOGREG,
  /** One hidden ReLU layer. */
  MLP;

  static final int MLP_HIDDEN_UNITS = 16;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public List<Integer> hiddenSizes() {
    return this == MLP ? List.of(MLP_HIDDEN_UNITS) : List.of();
  }

  public ModelSpec spec(int inputFeatures) {
    return ModelSpec.newBuilder()
        .setKind(configName())
        .setInputFeatures(inputFeatures)
        .addAllHiddenSizes(hiddenSizes())
        .build();
  }
}
