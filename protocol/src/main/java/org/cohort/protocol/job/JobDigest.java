package org.cohort.protocol.job;

import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.ProtocolMessageEnum;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import org.cohort.protocol.v1.DataSelection;
import org.cohort.protocol.v1.DeadlinePolicy;
import org.cohort.protocol.v1.JobDescription;
import org.cohort.protocol.v1.JobPrivacy;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.StrategySpec;
import org.cohort.protocol.v1.TrainingSettings;

/**
 * The digest a site approves: SHA-256 of the canonical encoding of a {@link JobDescription}, as 64
 * lowercase hex digits. The encoding is explicit (protobuf's own serialization is not guaranteed
 * canonical), so any implementation can recompute it from the description's values:
 *
 * <pre>
 * encoding = str("cohort-job-v1") field*          (fields in the order below)
 * field    = str(path) value                      path: the dotted proto field names below
 * str(s)   = u32(byte length of UTF-8(s)) UTF-8(s) (no Unicode normalization)
 * value    = 0x00                                 absent: an unset optional field or message
 *          | 0x01 u64(n)                          unsigned integer (uint32 and uint64 fields)
 *          | 0x02 u64(IEEE 754 binary64 bits)     double; NaN is refused, -0.0 differs from 0.0
 *          | 0x03 str(s)                          string
 *          | 0x04 str(proto enum value name)      enum, e.g. PRIVACY_MODE_DISTRIBUTED
 *          | 0x05 u32(count) value*               repeated field, in order
 *          | 0x06                                 present message; its fields follow as fields
 * u32, u64 = unsigned big-endian, 4 and 8 bytes
 * </pre>
 *
 * Fields, in this order (children of an absent message are not written): id, title, model (kind,
 * input_features, hidden_sizes), model_seed, strategy (name, mu?, server_learning_rate?, momentum?,
 * beta1?, beta2?, tau?, beta?, byzantine?, select?), training (epochs, batch_size, learning_rate,
 * optimizer, seed, proximal_mu), rounds, min_sites_per_round, deadline (round_deadline_seconds),
 * data (label), privacy (mode, unit, target_epsilon?, noise_multiplier?, delta, clip,
 * sampling_rate, expected_batch_size, noise?, bits?, colluders?, local_steps?). A child's path is
 * its parent's and its own name joined by a dot ({@code model.kind}). Fields marked ? are proto3
 * {@code optional}: 0x00 when unset, so "not set" never collides with a set default. Plain proto3
 * scalars have no presence and are written with their value (0, "", the enum's zero value).
 *
 * <p>Every value is typed and every variable-length one is length-prefixed, so the encoding is
 * injective: two descriptions that differ in any field have different encodings. A description with
 * fields this version does not know (unknown fields from a newer peer, enum numbers without a name)
 * is refused rather than digested without them.
 */
public record JobDigest(String hex) {
  /** The encoding's first item; a changed encoding gets a new version. */
  public static final String VERSION = "cohort-job-v1";

  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  public JobDigest {
    if (hex == null || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException("a job digest is 64 lowercase hex digits");
    }
  }

  public static JobDigest of(JobDescription job) {
    try {
      return new JobDigest(
          HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-256").digest(canonicalEncoding(job))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * The bytes the digest is taken over (see the class comment).
   *
   * @throws IllegalArgumentException if the description holds anything the encoding cannot cover
   */
  public static byte[] canonicalEncoding(JobDescription job) {
    Encoder out = new Encoder();
    requireNoUnknownFields(job, "job");
    out.header(VERSION);
    out.field("id").string(job.getId());
    out.field("title").string(job.getTitle());
    if (out.message("model", job.hasModel())) {
      ModelSpec model = job.getModel();
      out.field("model.kind").string(model.getKind());
      out.field("model.input_features").unsigned(model.getInputFeatures());
      out.field("model.hidden_sizes").unsignedList(model.getHiddenSizesList());
    }
    out.field("model_seed").unsigned(job.getModelSeed());
    if (out.message("strategy", job.hasStrategy())) {
      StrategySpec strategy = job.getStrategy();
      out.field("strategy.name").string(strategy.getName());
      out.optionalNumber("strategy.mu", strategy.hasMu(), strategy.getMu());
      out.optionalNumber(
          "strategy.server_learning_rate",
          strategy.hasServerLearningRate(),
          strategy.getServerLearningRate());
      out.optionalNumber("strategy.momentum", strategy.hasMomentum(), strategy.getMomentum());
      out.optionalNumber("strategy.beta1", strategy.hasBeta1(), strategy.getBeta1());
      out.optionalNumber("strategy.beta2", strategy.hasBeta2(), strategy.getBeta2());
      out.optionalNumber("strategy.tau", strategy.hasTau(), strategy.getTau());
      out.optionalNumber("strategy.beta", strategy.hasBeta(), strategy.getBeta());
      out.optionalUnsigned("strategy.byzantine", strategy.hasByzantine(), strategy.getByzantine());
      out.optionalUnsigned("strategy.select", strategy.hasSelect(), strategy.getSelect());
    }
    if (out.message("training", job.hasTraining())) {
      TrainingSettings training = job.getTraining();
      out.field("training.epochs").unsigned(training.getEpochs());
      out.field("training.batch_size").unsigned(training.getBatchSize());
      out.field("training.learning_rate").number(training.getLearningRate());
      out.field("training.optimizer").enumValue(training.getOptimizer(), "training.optimizer");
      out.field("training.seed").unsigned(training.getSeed());
      out.field("training.proximal_mu").number(training.getProximalMu());
    }
    out.field("rounds").unsigned(job.getRounds());
    out.field("min_sites_per_round").unsigned(job.getMinSitesPerRound());
    if (out.message("deadline", job.hasDeadline())) {
      DeadlinePolicy deadline = job.getDeadline();
      out.field("deadline.round_deadline_seconds").number(deadline.getRoundDeadlineSeconds());
    }
    if (out.message("data", job.hasData())) {
      DataSelection data = job.getData();
      out.field("data.label").string(data.getLabel());
    }
    if (out.message("privacy", job.hasPrivacy())) {
      JobPrivacy privacy = job.getPrivacy();
      out.field("privacy.mode").enumValue(privacy.getMode(), "privacy.mode");
      out.field("privacy.unit").string(privacy.getUnit());
      out.optionalNumber(
          "privacy.target_epsilon", privacy.hasTargetEpsilon(), privacy.getTargetEpsilon());
      out.optionalNumber(
          "privacy.noise_multiplier", privacy.hasNoiseMultiplier(), privacy.getNoiseMultiplier());
      out.field("privacy.delta").number(privacy.getDelta());
      out.field("privacy.clip").number(privacy.getClip());
      out.field("privacy.sampling_rate").number(privacy.getSamplingRate());
      out.field("privacy.expected_batch_size").number(privacy.getExpectedBatchSize());
      if (out.optional("privacy.noise", privacy.hasNoise())) {
        out.enumValue(privacy.getNoise(), "privacy.noise");
      }
      out.optionalUnsigned("privacy.bits", privacy.hasBits(), privacy.getBits());
      out.optionalUnsigned("privacy.colluders", privacy.hasColluders(), privacy.getColluders());
      out.optionalUnsigned("privacy.local_steps", privacy.hasLocalSteps(), privacy.getLocalSteps());
    }
    return out.bytes();
  }

  @Override
  public String toString() {
    return hex;
  }

  /** Fields of a newer schema would change what runs without changing the digest. */
  private static void requireNoUnknownFields(MessageOrBuilder message, String path) {
    if (!message.getUnknownFields().asMap().isEmpty()) {
      throw new IllegalArgumentException(
          path + " has fields this version cannot digest (from a newer schema?)");
    }
    message
        .getAllFields()
        .forEach(
            (field, value) -> {
              if (value instanceof MessageOrBuilder child) {
                requireNoUnknownFields(child, path + "." + field.getName());
              }
            });
  }

  private static final class Encoder {
    private static final int ABSENT = 0x00;
    private static final int UNSIGNED = 0x01;
    private static final int DOUBLE = 0x02;
    private static final int STRING = 0x03;
    private static final int ENUM = 0x04;
    private static final int LIST = 0x05;
    private static final int MESSAGE = 0x06;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** The version item that opens the encoding: str(version), untagged. */
    void header(String version) {
      rawString(version);
    }

    /** Writes the field's path; its value follows. */
    Encoder field(String path) {
      return rawString(path);
    }

    /** The marker of a message field; true if its fields follow. */
    boolean message(String path, boolean present) {
      field(path).tag(present ? MESSAGE : ABSENT);
      return present;
    }

    /** The path and, when unset, the absent marker; true if the value is still to be written. */
    boolean optional(String path, boolean present) {
      field(path);
      if (!present) {
        tag(ABSENT);
      }
      return present;
    }

    void optionalNumber(String path, boolean present, double value) {
      if (optional(path, present)) {
        number(value);
      }
    }

    void optionalUnsigned(String path, boolean present, int value) {
      if (optional(path, present)) {
        unsigned(value);
      }
    }

    Encoder string(String value) {
      return tag(STRING).rawString(value);
    }

    void unsigned(int value) {
      unsigned(Integer.toUnsignedLong(value));
    }

    void unsigned(long value) {
      tag(UNSIGNED).raw64(value);
    }

    void number(double value) {
      if (Double.isNaN(value)) {
        throw new IllegalArgumentException("a job description holds NaN");
      }
      tag(DOUBLE).raw64(Double.doubleToRawLongBits(value));
    }

    void enumValue(ProtocolMessageEnum value, String path) {
      if (value instanceof Enum<?> constant && "UNRECOGNIZED".equals(constant.name())) {
        throw new IllegalArgumentException(path + " holds an enum number this version cannot name");
      }
      tag(ENUM).rawString(value.getValueDescriptor().getName());
    }

    void unsignedList(List<Integer> values) {
      tag(LIST).raw32(values.size());
      for (int value : values) {
        unsigned(value);
      }
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    private Encoder tag(int tag) {
      out.write(tag);
      return this;
    }

    private Encoder rawString(String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      raw32(utf8.length);
      out.writeBytes(utf8);
      return this;
    }

    private void raw32(int value) {
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write(value >>> shift);
      }
    }

    private void raw64(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
    }
  }
}
