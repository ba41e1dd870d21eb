package org.cohort.site.data;

import java.util.List;

/**
 * Rescales continuous features to (x - centre) / scale and imputes missing values (NaN) with the
 * centre, i.e. 0 after rescaling; the missing-value indicator columns written by the connectors
 * keep the fact that a value was absent. Binary columns pass through unchanged.
 *
 * <p>Which centre and scale: a real site standardises with its own training split's statistics
 * ({@link #fromStatistics}). That needs no extra protocol round, releases no patient-derived
 * aggregate outside the hospital (a sum of squares would need privacy accounting too), and it
 * absorbs per-site calibration offsets of laboratory values. The price is that a feature value
 * means "relative to this hospital's patients", which mutes differences in case mix. Where the
 * federation agrees fixed reference values instead (clinical reference ranges, or global statistics
 * merged from every site's {@link FeatureStatistics}), {@link #reference} uses them and no
 * site-specific statistic is involved at all; the built-in synthetic cohort does that.
 */
public final class Standardizer {

  private final List<Feature> features;
  private final double[] centre;
  private final double[] scale;

  private Standardizer(List<Feature> features, double[] centre, double[] scale) {
    this.features = List.copyOf(features);
    this.centre = centre;
    this.scale = scale;
  }

  public static Standardizer fromStatistics(FeatureStatistics statistics) {
    List<Feature> features = statistics.features();
    double[] centre = new double[features.size()];
    double[] scale = new double[features.size()];
    for (int j = 0; j < centre.length; j++) {
      centre[j] = statistics.mean(j);
      double sd = statistics.standardDeviation(j);
      // A constant or unobserved column carries no information; keep it finite.
      scale[j] = sd > 1e-12 ? sd : 1.0;
    }
    return new Standardizer(features, centre, scale);
  }

  /** Fixed centre and scale per feature (ignored for binary features); scales must be positive. */
  public static Standardizer reference(List<Feature> features, double[] centre, double[] scale) {
    if (centre.length != features.size() || scale.length != features.size()) {
      throw new IllegalArgumentException("one centre and one scale per feature are needed");
    }
    for (double s : scale) {
      if (!(s > 0) || Double.isInfinite(s)) {
        throw new IllegalArgumentException("reference scales must be positive and finite");
      }
    }
    return new Standardizer(features, centre.clone(), scale.clone());
  }

  /** A new dataset with rescaled continuous columns and no NaN left. */
  public Dataset apply(Dataset data) {
    if (!data.features().equals(features)) {
      throw new IllegalArgumentException(
          "this standardizer was built for a different feature list");
    }
    int width = features.size();
    boolean[] continuous = new boolean[width];
    for (int j = 0; j < width; j++) {
      continuous[j] = features.get(j).kind() == Feature.Kind.CONTINUOUS;
    }
    float[] values = data.values().clone();
    for (int offset = 0; offset < values.length; offset += width) {
      for (int j = 0; j < width; j++) {
        float v = values[offset + j];
        if (Float.isNaN(v)) {
          values[offset + j] = 0f;
        } else if (continuous[j]) {
          values[offset + j] = (float) ((v - centre[j]) / scale[j]);
        }
      }
    }
    return new Dataset(features, values, data.labels());
  }
}
