package org.cohort.site.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SplitAndStatisticsTest {

  /** Row i has feature value i, so rows can be traced through a split. */
  private static Dataset numbered(int rows, int positives) {
    float[] values = new float[rows];
    float[] labels = new float[rows];
    for (int i = 0; i < rows; i++) {
      values[i] = i;
      labels[i] = i < positives ? 1f : 0f;
    }
    return new Dataset(List.of(Feature.continuous("id")), values, labels);
  }

  @Test
  void stratifiedSplitKeepsPrevalenceIsDisjointAndDeterministic() {
    Dataset data = numbered(100, 20);
    Split split = Split.stratified(data, 0.25, 9);
    assertEquals(25, split.holdout().rows());
    assertEquals(5, split.holdout().positives());
    assertEquals(15, split.train().positives());
    Set<Float> seen = new HashSet<>();
    for (float v : split.train().values()) {
      seen.add(v);
    }
    for (float v : split.holdout().values()) {
      seen.add(v);
    }
    assertEquals(100, seen.size());
    assertArrayEquals(split.holdout().values(), Split.stratified(data, 0.25, 9).holdout().values());
    assertThrows(IllegalArgumentException.class, () -> Split.stratified(data, 1.0, 9));
  }

  @Test
  void differentSeedsGiveDifferentSplits() {
    Dataset data = numbered(100, 20);
    float[] a = Split.stratified(data, 0.25, 1).holdout().values();
    float[] b = Split.stratified(data, 0.25, 2).holdout().values();
    assertEquals(a.length, b.length);
    assertNotEquals(Arrays.toString(a), Arrays.toString(b));
  }

  @Test
  void mergedSiteStatisticsEqualThoseOfThePooledData() {
    List<Feature> features = List.of(Feature.continuous("x"), Feature.binary("flag"));
    Dataset siteA =
        new Dataset(features, new float[] {1, 0, 3, 1, Float.NaN, 1}, new float[] {0, 1, 0});
    Dataset siteB = new Dataset(features, new float[] {5, 0, 7, 1}, new float[] {1, 1});
    FeatureStatistics merged = FeatureStatistics.of(siteA).merge(FeatureStatistics.of(siteB));
    FeatureStatistics pooled = FeatureStatistics.of(Dataset.concat(List.of(siteA, siteB)));
    assertEquals(4, merged.count(0)); // the missing value is not counted
    assertEquals(4.0, merged.mean(0), 1e-12);
    assertEquals(Math.sqrt(5.0), merged.standardDeviation(0), 1e-12);
    assertEquals(pooled.mean(0), merged.mean(0), 1e-12);
    assertEquals(pooled.standardDeviation(0), merged.standardDeviation(0), 1e-12);
  }

  @Test
  void standardizerRescalesContinuousColumnsImputesMissingAndLeavesBinaryAlone() {
    List<Feature> features = List.of(Feature.continuous("x"), Feature.binary("x:missing"));
    Dataset data =
        new Dataset(features, new float[] {2, 0, 4, 0, Float.NaN, 1}, new float[] {0, 1, 0});
    Dataset standardised = Standardizer.fromStatistics(FeatureStatistics.of(data)).apply(data);
    assertArrayEquals(new float[] {-1, 0, 1, 0, 0, 1}, standardised.values(), 1e-6f);
  }
}
