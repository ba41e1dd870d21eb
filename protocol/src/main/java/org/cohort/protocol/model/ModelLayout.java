package org.cohort.protocol.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TensorSpec;

/**
 * The named tensors of a model, flattened in order into one float32 vector. Coordinator and sites
 * derive the same layout from a {@link ModelSpec}; the coordinator never needs more than this.
 *
 * <p>Dense networks: layer {@code i} has a weight tensor {@code layer<i>.W} of shape [fan_in,
 * fan_out] (row-major) followed by a bias {@code layer<i>.b} of shape [fan_out]. logreg is the
 * single layer [features, 1]; mlp adds the hidden sizes in between.
 */
public record ModelLayout(List<TensorSpec> tensors) {

  public ModelLayout {
    tensors = List.copyOf(tensors);
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one tensor");
    }
  }

  public static ModelLayout of(ModelSpec spec) {
    if (spec.getInputFeatures() < 1) {
      throw new IllegalArgumentException("model.input_features must be at least 1");
    }
    List<Integer> sizes = new ArrayList<>();
    sizes.add(spec.getInputFeatures());
    switch (spec.getKind()) {
      case "logreg" -> {
        if (spec.getHiddenSizesCount() > 0) {
          throw new IllegalArgumentException("model.hidden_sizes must be empty for logreg");
        }
      }
      case "mlp" -> {
        if (spec.getHiddenSizesCount() == 0) {
          throw new IllegalArgumentException(
              "model.hidden_sizes must name at least one layer for mlp");
        }
        for (int h : spec.getHiddenSizesList()) {
          if (h < 1) {
            throw new IllegalArgumentException("model.hidden_sizes must be positive");
          }
          sizes.add(h);
        }
      }
      default ->
          throw new IllegalArgumentException(
              "model.kind must be logreg or mlp, was '" + spec.getKind() + "'");
    }
    sizes.add(1);
    List<TensorSpec> tensors = new ArrayList<>();
    for (int i = 0; i + 1 < sizes.size(); i++) {
      tensors.add(
          TensorSpec.newBuilder()
              .setName("layer" + i + ".W")
              .addShape(sizes.get(i))
              .addShape(sizes.get(i + 1))
              .build());
      tensors.add(
          TensorSpec.newBuilder().setName("layer" + i + ".b").addShape(sizes.get(i + 1)).build());
    }
    return new ModelLayout(tensors);
  }

  public static long elementsOf(TensorSpec tensor) {
    long n = 1;
    for (int d : tensor.getShapeList()) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public int totalElements() {
    long n = 0;
    for (TensorSpec t : tensors) {
      n += elementsOf(t);
    }
    return Math.toIntExact(n);
  }

  /**
   * Deterministic Glorot-uniform weights and zero biases. Model initialisation is not secret, so a
   * seeded generator is right here: every restart of a federation starts from the same model.
   */
  public float[] initialParameters(long seed) {
    float[] flat = new float[totalElements()];
    SplittableRandom random = new SplittableRandom(seed);
    int offset = 0;
    for (TensorSpec t : tensors) {
      int n = Math.toIntExact(elementsOf(t));
      if (t.getShapeCount() == 2) {
        double limit = Math.sqrt(6.0 / (t.getShape(0) + t.getShape(1)));
        for (int i = 0; i < n; i++) {
          flat[offset + i] = (float) random.nextDouble(-limit, limit);
        }
      }
      offset += n;
    }
    return flat;
  }
}
