package org.cohort.site.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic multi-hospital cohort for 30-day unplanned readmission after discharge, built so that
 * federated learning is visibly worthwhile: every hospital sees only part of the patient
 * population, so a model trained at one hospital alone transfers poorly to the others, while the
 * hospitals together cover it all.
 *
 * <h2>Patients</h2>
 *
 * Per patient, in this order: age (hospital-specific normal, clipped to 18..100), sex, four
 * comorbidities whose odds rise with age (diabetes, heart failure, COPD, chronic kidney disease),
 * admission type drawn from the hospital's mix (elective, emergency, urgent, transfer), length of
 * stay (log-normal, longer after unplanned admissions), prior admissions in the last year (Poisson,
 * more with heart failure, COPD and CKD), heart rate, systolic blood pressure, haemoglobin,
 * creatinine, sodium, albumin, potassium, glucose, white cell count, platelets, bilirubin and CRP
 * at discharge, each depending plausibly on the above.
 *
 * <h2>Ground truth</h2>
 *
 * The outcome is Bernoulli(sigmoid(z)) with, on the true (not the measured) values,
 *
 * <pre>
 * z = -2.4 + hospital shift + 0.030 (age - 65) + 0.10 male
 *     + 0.35 diabetes + 0.75 heart_failure + 0.45 copd + 0.50 ckd
 *     + {elective 0, emergency 0.55, urgent 0.35, transfer 0.95}
 *     + 0.06 (length_of_stay - 4) + 0.30 prior_admissions + 0.012 (heart_rate - 80)
 *     + 0.035 max(0, 110 - systolic_bp)          (hypotension only: a nonlinearity)
 *     + 0.07 |sodium - 140|                      (both hypo- and hypernatraemia: a nonlinearity)
 *     - 0.20 (haemoglobin - 13) + 0.45 (creatinine - 1) - 0.55 (albumin - 3.8)
 *     + 0.003 (glucose - 120) + 0.012 (crp - 10)
 * </pre>
 *
 * Potassium, white cell count, platelets and bilirubin are measured but carry no risk of their own:
 * like most routine labs they invite a small hospital's model to fit noise. The hospital shift
 * stands for unmeasured local practice (discharge and follow-up policies).
 *
 * <h2>How hospitals differ</h2>
 *
 * Size (250 to 3000 patients), case mix (age distribution and admission types: the largest hospital
 * is an elective centre with young patients and no urgent or transfer admissions, the referral
 * centre admits no elective patients), prevalence, laboratory calibration offsets (measured = true
 * + offset) and how often albumin is measured at all (one hospital never measures it; the feature
 * is then missing with its indicator set).
 *
 * <h2>Encoding</h2>
 *
 * {@link #FEATURES}: fifteen continuous measurements standardised with fixed published reference
 * values (see {@link Standardizer}: no site-specific statistic, so every hospital and every
 * baseline encodes a patient identically), then albumin's missing indicator, sex, the four
 * comorbidities and the one-hot admission type. Everything is deterministic from the seed; each
 * hospital has its own random stream, so one hospital's data can be generated without the others'.
 */
public final class SyntheticCohort {

  /** Fraction of each hospital's patients held out (stratified) for evaluation and testing. */
  public static final double HOLDOUT_FRACTION = 0.3;

  public static final List<Feature> FEATURES =
      List.of(
          Feature.continuous("age"),
          Feature.continuous("length_of_stay"),
          Feature.continuous("prior_admissions"),
          Feature.continuous("heart_rate"),
          Feature.continuous("systolic_bp"),
          Feature.continuous("hemoglobin"),
          Feature.continuous("creatinine"),
          Feature.continuous("sodium"),
          Feature.continuous("albumin"),
          Feature.continuous("potassium"),
          Feature.continuous("glucose"),
          Feature.continuous("white_cell_count"),
          Feature.continuous("platelets"),
          Feature.continuous("bilirubin"),
          Feature.continuous("crp"),
          Feature.binary("albumin:missing"),
          Feature.binary("male"),
          Feature.binary("diabetes"),
          Feature.binary("heart_failure"),
          Feature.binary("copd"),
          Feature.binary("ckd"),
          Feature.binary("admission_type=elective"),
          Feature.binary("admission_type=emergency"),
          Feature.binary("admission_type=urgent"),
          Feature.binary("admission_type=transfer"));

  /** The model input width for configs: {@code model.input_features}. */
  public static final int FEATURE_COUNT = FEATURES.size();

  /** Reference centre and scale of the continuous features, in {@link #FEATURES} order. */
  private static final double[] REFERENCE_CENTRE = {
    65, 5, 1, 85, 128, 13, 1.1, 139, 3.7, 4.2, 120, 8, 250, 0.8, 12
  };

  private static final double[] REFERENCE_SCALE = {
    15, 4, 1.2, 15, 20, 1.7, 0.5, 3.8, 0.55, 0.5, 40, 2.5, 70, 0.5, 20
  };

  private static final String[] ADMISSION_TYPES = {"elective", "emergency", "urgent", "transfer"};
  private static final double[] ADMISSION_EFFECT = {0.0, 0.55, 0.35, 0.95};

  /**
   * One hospital's population.
   *
   * @param admissionMix probabilities of elective, emergency, urgent, transfer (sum to 1)
   * @param riskShift added to the true log-odds (unmeasured local practice)
   * @param hemoglobinOffset added to measured haemoglobin (g/dL): laboratory calibration
   * @param creatinineOffset added to measured creatinine (mg/dL): laboratory calibration
   * @param albuminMissingRate probability that albumin was not measured
   */
  public record HospitalProfile(
      String name,
      int rows,
      double ageMean,
      double ageSd,
      double[] admissionMix,
      double riskShift,
      double hemoglobinOffset,
      double creatinineOffset,
      double albuminMissingRate) {

    public HospitalProfile {
      if (rows < 10) {
        throw new IllegalArgumentException("a hospital needs at least 10 patients");
      }
      if (admissionMix.length != ADMISSION_TYPES.length) {
        throw new IllegalArgumentException(
            "the admission mix needs one probability per admission type");
      }
      double total = 0;
      for (double p : admissionMix) {
        total += p;
      }
      if (Math.abs(total - 1.0) > 1e-9) {
        throw new IllegalArgumentException("admission mix probabilities must sum to 1");
      }
      admissionMix = admissionMix.clone();
    }

    @Override
    public double[] admissionMix() {
      return admissionMix.clone();
    }

    public HospitalProfile withRows(int newRows) {
      return new HospitalProfile(
          name,
          newRows,
          ageMean,
          ageSd,
          admissionMix,
          riskShift,
          hemoglobinOffset,
          creatinineOffset,
          albuminMissingRate);
    }
  }

  /** The default five hospitals. */
  public static final List<HospitalProfile> DEFAULT_HOSPITALS =
      List.of(
          new HospitalProfile(
              "elective-centre", 3000, 52, 11, new double[] {0.85, 0.15, 0, 0}, -0.3, 0, 0, 0.10),
          new HospitalProfile(
              "university-referral",
              1500,
              67,
              14,
              new double[] {0, 0.45, 0.15, 0.40},
              0.2,
              0,
              0,
              0.05),
          new HospitalProfile(
              "community-east",
              800,
              72,
              12,
              new double[] {0.10, 0.70, 0.20, 0},
              0.0,
              -0.6,
              0,
              0.40),
          new HospitalProfile(
              "rural-north", 400, 74, 10, new double[] {0.05, 0.80, 0.10, 0.05}, 0.0, 0, 0.25, 1.0),
          new HospitalProfile(
              "city-west", 250, 60, 16, new double[] {0.30, 0.50, 0.15, 0.05}, 0.3, 0, 0, 0.20));

  /** A hospital's standardised patients split into training and held-out (test) parts. */
  public record Hospital(HospitalProfile profile, Split split) {}

  /** Every hospital of a cohort. */
  public record Cohort(List<Hospital> hospitals) {
    public Cohort {
      hospitals = List.copyOf(hospitals);
    }

    /** All hospitals' training parts stacked: the data of a centralised (pooled) baseline. */
    public Dataset pooledTrain() {
      return Dataset.concat(hospitals.stream().map(h -> h.split().train()).toList());
    }

    /** All hospitals' held-out parts stacked: the common test set for every model. */
    public Dataset pooledTest() {
      return Dataset.concat(hospitals.stream().map(h -> h.split().holdout()).toList());
    }
  }

  private SyntheticCohort() {}

  public static Cohort generate(long seed) {
    return generate(DEFAULT_HOSPITALS, seed);
  }

  public static Cohort generate(List<HospitalProfile> profiles, long seed) {
    List<Hospital> hospitals = new ArrayList<>();
    for (int i = 0; i < profiles.size(); i++) {
      hospitals.add(new Hospital(profiles.get(i), hospital(profiles.get(i), i, seed)));
    }
    return new Cohort(hospitals);
  }

  /**
   * Hospital {@code index}'s standardised split, identical to its part of {@link #generate(List,
   * long)} with the same seed.
   */
  public static Split hospital(HospitalProfile profile, int index, long seed) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 31L * index + 1);
    Dataset raw = patients(profile, random);
    Split split = Split.stratified(raw, HOLDOUT_FRACTION, random.nextLong());
    return split.map(standardizer()::apply);
  }

  public static Standardizer standardizer() {
    double[] centre = new double[FEATURE_COUNT];
    double[] scale = new double[FEATURE_COUNT];
    Arrays.fill(scale, 1.0);
    System.arraycopy(REFERENCE_CENTRE, 0, centre, 0, REFERENCE_CENTRE.length);
    System.arraycopy(REFERENCE_SCALE, 0, scale, 0, REFERENCE_SCALE.length);
    return Standardizer.reference(FEATURES, centre, scale);
  }

  private static Dataset patients(HospitalProfile profile, SplittableRandom random) {
    int width = FEATURE_COUNT;
    float[] values = new float[profile.rows() * width];
    float[] labels = new float[profile.rows()];
    double[] admissionMix = profile.admissionMix();
    for (int row = 0; row < profile.rows(); row++) {
      labels[row] = patient(profile, admissionMix, random, values, row * width);
    }
    return new Dataset(FEATURES, values, labels);
  }

  /** Writes one patient's measured features at {@code offset} and returns the drawn outcome. */
  private static float patient(
      HospitalProfile h, double[] admissionMix, SplittableRandom random, float[] out, int offset) {
    double age = clamp(h.ageMean() + h.ageSd() * random.nextGaussian(), 18, 100);
    double ageTerm = (age - 65) / 10;
    boolean male = random.nextDouble() < 0.5;
    boolean diabetes = bernoulli(random, -1.0 + 0.3 * ageTerm);
    boolean heartFailure = bernoulli(random, -2.0 + 0.5 * ageTerm);
    boolean copd = bernoulli(random, -1.8 + 0.3 * ageTerm);
    boolean ckd = bernoulli(random, -2.0 + 0.5 * ageTerm + (diabetes ? 0.7 : 0));
    int admission = categorical(random, admissionMix);
    boolean unplanned = admission == 1 || admission == 3;
    double lengthOfStay =
        Math.exp(Math.log(4) + (unplanned ? 0.35 : 0) + 0.55 * random.nextGaussian());
    int priorAdmissions =
        poisson(random, 0.4 + (heartFailure ? 0.8 : 0) + (copd ? 0.5 : 0) + (ckd ? 0.3 : 0));
    double heartRate =
        82 + (unplanned ? 8 : 0) + (heartFailure ? 4 : 0) + 13 * random.nextGaussian();
    double systolic =
        130
            + 0.2 * (age - 65)
            - (heartFailure ? 8 : 0)
            - (unplanned ? 6 : 0)
            + 18 * random.nextGaussian();
    double hemoglobin =
        13.4 + (male ? 0.8 : 0) - (ckd ? 1.3 : 0) - 0.02 * (age - 65) + 1.4 * random.nextGaussian();
    double creatinine =
        Math.exp(
            Math.log(0.95) + (ckd ? 0.65 : 0) + 0.004 * (age - 65) + 0.25 * random.nextGaussian());
    double sodium = 139.5 - (heartFailure ? 1.5 : 0) + 3.2 * random.nextGaussian();
    double albumin = 3.9 - (unplanned ? 0.3 : 0) - 0.01 * (age - 65) + 0.45 * random.nextGaussian();
    double potassium = 4.2 + (ckd ? 0.3 : 0) + 0.45 * random.nextGaussian();
    double glucose = Math.exp(Math.log(105) + (diabetes ? 0.35 : 0) + 0.2 * random.nextGaussian());
    double whiteCells = 7.5 + (unplanned ? 1.5 : 0) + 2.3 * random.nextGaussian();
    double platelets = 250 + 65 * random.nextGaussian();
    double bilirubin = Math.exp(Math.log(0.7) + 0.45 * random.nextGaussian());
    double crp = Math.exp(Math.log(6) + (unplanned ? 0.8 : 0) + 0.9 * random.nextGaussian());

    double z =
        -2.4
            + h.riskShift()
            + 0.030 * (age - 65)
            + (male ? 0.10 : 0)
            + (diabetes ? 0.35 : 0)
            + (heartFailure ? 0.75 : 0)
            + (copd ? 0.45 : 0)
            + (ckd ? 0.50 : 0)
            + ADMISSION_EFFECT[admission]
            + 0.06 * (lengthOfStay - 4)
            + 0.30 * priorAdmissions
            + 0.012 * (heartRate - 80)
            + 0.035 * Math.max(0, 110 - systolic)
            + 0.07 * Math.abs(sodium - 140)
            - 0.20 * (hemoglobin - 13)
            + 0.45 * (creatinine - 1)
            - 0.55 * (albumin - 3.8)
            + 0.003 * (glucose - 120)
            + 0.012 * (crp - 10);
    float outcome = random.nextDouble() < sigmoid(z) ? 1f : 0f;

    boolean albuminMissing = random.nextDouble() < h.albuminMissingRate();
    out[offset] = (float) age;
    out[offset + 1] = (float) lengthOfStay;
    out[offset + 2] = priorAdmissions;
    out[offset + 3] = (float) heartRate;
    out[offset + 4] = (float) systolic;
    out[offset + 5] = (float) (hemoglobin + h.hemoglobinOffset());
    out[offset + 6] = (float) (creatinine + h.creatinineOffset());
    out[offset + 7] = (float) sodium;
    out[offset + 8] = albuminMissing ? Float.NaN : (float) albumin;
    out[offset + 9] = (float) potassium;
    out[offset + 10] = (float) glucose;
    out[offset + 11] = (float) whiteCells;
    out[offset + 12] = (float) platelets;
    out[offset + 13] = (float) bilirubin;
    out[offset + 14] = (float) crp;
    out[offset + 15] = albuminMissing ? 1f : 0f;
    out[offset + 16] = male ? 1f : 0f;
    out[offset + 17] = diabetes ? 1f : 0f;
    out[offset + 18] = heartFailure ? 1f : 0f;
    out[offset + 19] = copd ? 1f : 0f;
    out[offset + 20] = ckd ? 1f : 0f;
    out[offset + 21 + admission] = 1f;
    return outcome;
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static boolean bernoulli(SplittableRandom random, double logOdds) {
    return random.nextDouble() < sigmoid(logOdds);
  }

  private static int categorical(SplittableRandom random, double[] probabilities) {
    double u = random.nextDouble();
    double cumulative = 0;
    for (int i = 0; i < probabilities.length - 1; i++) {
      cumulative += probabilities[i];
      if (u < cumulative) {
        return i;
      }
    }
    return probabilities.length - 1;
  }

  /** Knuth's method; fine for the small means used here. */
  private static int poisson(SplittableRandom random, double mean) {
    double limit = Math.exp(-mean);
    double product = random.nextDouble();
    int count = 0;
    while (product > limit) {
      product *= random.nextDouble();
      count++;
    }
    return count;
  }

  private static double clamp(double value, double low, double high) {
    return Math.max(low, Math.min(high, value));
  }
}
