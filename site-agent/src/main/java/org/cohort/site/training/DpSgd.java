package org.cohort.site.training;

import java.util.Arrays;
import org.cohort.privacy.noise.AesCtrDrbg;
import org.cohort.privacy.noise.GaussianNoise;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.site.model.DenseNetwork;
import org.cohort.site.model.LabelledMatrix;
import org.cohort.site.model.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DP-SGD (Abadi et al., CCS 2016) with the patient record as the privacy unit: every step takes a
 * Poisson sample of the training records, clips each record's own gradient to L2 norm C and sums
 * the clipped gradients, so that adding or removing one record moves the sum by at most C. Each
 * step is then one subsampled Gaussian mechanism (sampling rate q, noise multiplier z), which the
 * accountant composes.
 *
 * <p>All randomness (the samples and the noise) comes from an {@link AesCtrDrbg} that the caller
 * creates with {@link AesCtrDrbg#create()}, keyed by this site's SecureRandom: a seed chosen by the
 * coordinator would let it replay the samples. {@link TrainingSettings#getSeed()} is ignored here.
 */
public final class DpSgd {

  private DpSgd() {}

  /**
   * The sum of clipped per-record gradients over one Poisson sample (no noise). {@code sum} is what
   * a site contributes in the {@code central} and {@code distributed} modes, where noise is added
   * elsewhere. {@code sampleSize} is a count of patients and itself private: it is for this site's
   * local log at most and must never leave the site (nor go into a metric or a message); {@link
   * #toString()} leaves it out for that reason.
   */
  public record ClippedGradientSum(float[] sum, int sampleSize) {
    @Override
    public String toString() {
      return "ClippedGradientSum[" + sum.length + " values]";
    }
  }

  /**
   * Σ clip_C(g_j) over a Poisson sample of {@code train} (every record independently with
   * probability {@code samplingRate}), at {@code parameters}, in layout order. An empty sample
   * gives the zero vector; it is not redrawn, as the privacy analysis of Poisson sampling assumes.
   */
  public static ClippedGradientSum clippedGradientSum(
      ModelSpec model,
      float[] parameters,
      LabelledMatrix train,
      double samplingRate,
      double clipNorm,
      AesCtrDrbg random) {
    validateSamplingRate(samplingRate);
    validateClipNorm(clipNorm);
    DenseNetwork network = ModelTraining.network(model, parameters, train);
    int[] sample = poissonSample(train.rows(), samplingRate, random);
    float[] sum =
        clippedSum(network, train, sample, clipNorm, Math.toIntExact(network.parameterCount()));
    return new ClippedGradientSum(sum, sample.length);
  }

  /**
   * Local DP-SGD (mode {@code local}): {@code steps} steps from {@code initialParameters}, each on
   * a fresh Poisson sample: the clipped gradient sum plus Gaussian noise of standard deviation
   * {@link RoundPrivacy#gaussianStdDev} ≈ z · C on every coordinate, divided by the expected sample
   * size q · N (N = the number of training records, which the site knows; dividing by the realised
   * sample size would leak it), as the gradient of one step of the optimizer that {@code settings}
   * name (SGD or Adam, learning rate, and FedProx's mu, whose term depends on no record). Returns
   * the parameters after the last step; everything after the noise is post-processing, so the
   * result is {@code steps} subsampled Gaussian mechanisms with rate q and noise multiplier z.
   *
   * <p>{@code settings.epochs}, {@code batch_size} and {@code seed} are not used: q and {@code
   * steps} replace the first two, and the randomness is {@code random}'s.
   */
  public static float[] fitPrivately(
      ModelSpec model,
      TrainingSettings settings,
      float[] initialParameters,
      LabelledMatrix train,
      double samplingRate,
      double clipNorm,
      double noiseMultiplier,
      int steps,
      AesCtrDrbg random) {
    ModelTraining.validateStepSettings(settings);
    validateSamplingRate(samplingRate);
    validateClipNorm(clipNorm);
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new InvalidTaskException("privacy.noise_multiplier", "must be positive and finite");
    }
    if (steps < 1) {
      throw new InvalidTaskException("privacy.steps", "must be >= 1");
    }
    DenseNetwork network = ModelTraining.network(model, initialParameters, train);
    int dimension = Math.toIntExact(network.parameterCount());
    double stdDev = RoundPrivacy.gaussianStdDev(noiseMultiplier, clipNorm, dimension);
    double expectedSampleSize = samplingRate * train.rows();
    double mu = settings.getProximalMu();
    INDArray anchor = mu > 0 ? Nd4j.createFromArray(initialParameters.clone()) : null;
    Optimizer optimizer = ModelTraining.optimizer(settings, dimension);
    GaussianNoise noise = new GaussianNoise(random);
    for (int step = 0; step < steps; step++) {
      int[] sample = poissonSample(train.rows(), samplingRate, random);
      float[] gradient = clippedSum(network, train, sample, clipNorm, dimension);
      noise.addTo(gradient, stdDev);
      for (int i = 0; i < dimension; i++) {
        gradient[i] = (float) (gradient[i] / expectedSampleSize);
      }
      network.setGradient(gradient);
      if (anchor != null) {
        network.addProximalGradient(anchor, mu);
      }
      network.step(optimizer);
    }
    return network.parameters();
  }

  /**
   * Poisson sampling: each of {@code rows} indices independently with probability {@code
   * samplingRate} (to within 2^-53, the resolution of {@link AesCtrDrbg#nextOpenUnitDouble()}), in
   * increasing order; possibly none.
   */
  static int[] poissonSample(int rows, double samplingRate, AesCtrDrbg random) {
    int[] selected = new int[rows];
    int count = 0;
    for (int row = 0; row < rows; row++) {
      if (random.nextOpenUnitDouble() < samplingRate) {
        selected[count++] = row;
      }
    }
    return Arrays.copyOf(selected, count);
  }

  private static float[] clippedSum(
      DenseNetwork network, LabelledMatrix train, int[] sample, double clipNorm, int dimension) {
    if (sample.length == 0) {
      return new float[dimension];
    }
    LabelledMatrix batch = train.select(sample);
    network.computeClippedGradientSum(batch.design(), batch.labels(), clipNorm);
    return network.gradient();
  }

  private static void validateSamplingRate(double samplingRate) {
    if (!(samplingRate > 0 && samplingRate <= 1)) {
      throw new InvalidTaskException("privacy.sampling_rate", "must be in (0, 1]");
    }
  }

  private static void validateClipNorm(double clipNorm) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new InvalidTaskException("privacy.clip_norm", "must be positive and finite");
    }
  }
}
