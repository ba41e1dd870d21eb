package org.cohort.protocol.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.cohort.protocol.v1.DataSelection;
import org.cohort.protocol.v1.DeadlinePolicy;
import org.cohort.protocol.v1.JobDescription;
import org.cohort.protocol.v1.JobPrivacy;
import org.cohort.protocol.v1.ModelSpec;
import org.cohort.protocol.v1.Optimizer;
import org.cohort.protocol.v1.PrivacyMode;
import org.cohort.protocol.v1.PrivacyNoise;
import org.cohort.protocol.v1.StrategySpec;
import org.cohort.protocol.v1.TrainingSettings;
import org.junit.jupiter.api.Test;

class JobDigestTest {

  /**
   * Every kind of field in one description: optional fields both set and unset, a repeated field,
   * enums, every message present.
   */
  static JobDescription sample() {
    return JobDescription.newBuilder()
        .setId("readmission")
        .setTitle("30-day readmission — small MLP")
        .setModel(
            ModelSpec.newBuilder().setKind("mlp").setInputFeatures(12).addHiddenSizes(16).build())
        .setModelSeed(42)
        .setStrategy(StrategySpec.newBuilder().setName("fedprox").setMu(0.01).build())
        .setTraining(
            TrainingSettings.newBuilder()
                .setEpochs(2)
                .setBatchSize(32)
                .setLearningRate(0.1)
                .setOptimizer(Optimizer.OPTIMIZER_ADAM)
                .setProximalMu(0.01)
                .build())
        .setRounds(20)
        .setMinSitesPerRound(3)
        .setDeadline(DeadlinePolicy.newBuilder().setRoundDeadlineSeconds(120).build())
        .setData(DataSelection.newBuilder().setLabel("readmitted_30d").build())
        .setPrivacy(
            JobPrivacy.newBuilder()
                .setMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED)
                .setUnit("patient")
                .setTargetEpsilon(3.0)
                .setDelta(1e-5)
                .setClip(1.0)
                .setSamplingRate(0.01)
                .setExpectedBatchSize(60)
                .setNoise(PrivacyNoise.PRIVACY_NOISE_SKELLAM)
                .setBits(20)
                .setColluders(1)
                .build())
        .build();
  }

  /**
   * The digest of {@link #sample()}. It is also what an independent implementation of the
   * documented encoding gives: {@code python3 protocol/src/test/resources/job_digest_reference.py}
   * reimplements the class comment's grammar byte by byte from the sample's values and prints it.
   * If this test fails, the encoding changed: that breaks every site's approvals, so it needs a new
   * {@link JobDigest#VERSION}.
   */
  private static final String GOLDEN =
      "3ad2c3c8fcc0564c2b831e250c20d50648dea5bc84e9909fef826e52d75620c2";

  @Test
  void theSameDescriptionHasTheSameDigest() throws InvalidProtocolBufferException {
    JobDescription copy = JobDescription.parseFrom(sample().toByteArray());
    assertEquals(JobDigest.of(sample()), JobDigest.of(copy));
    assertEquals(JobDigest.of(sample()), JobDigest.of(sample().toBuilder().build()));
  }

  @Test
  void aFixedDescriptionHasThePinnedDigest() {
    assertEquals(GOLDEN, JobDigest.of(sample()).hex());
  }

  @Test
  void theEncodingStartsWithItsVersion() {
    byte[] encoding = JobDigest.canonicalEncoding(sample());
    assertEquals(JobDigest.VERSION.length(), encoding[3]);
    assertEquals(
        JobDigest.VERSION,
        new String(encoding, 4, JobDigest.VERSION.length(), StandardCharsets.US_ASCII));
  }

  /**
   * Walks the schema, not a hand-written list: a field added to job.proto (or to ModelSpec or
   * TrainingSettings) that the encoding leaves out makes its mutation collide with the sample.
   */
  @Test
  void everyChangeOfAnyFieldChangesTheDigest() {
    Map<String, JobDescription> mutations = new HashMap<>();
    collectMutations(sample(), "", UnaryOperator.identity(), mutations);
    assertTrue(mutations.size() > 40, "mutations: " + mutations.keySet());

    Map<JobDigest, String> seen = new HashMap<>();
    seen.put(JobDigest.of(sample()), "the sample");
    mutations.forEach(
        (change, job) -> {
          assertNotEquals(sample(), job, change);
          String earlier = seen.put(JobDigest.of(job), change);
          assertEquals(null, earlier, change + " has the same digest as " + earlier);
        });
  }

  @Test
  void anUnsetOptionalFieldDiffersFromOneSetToItsDefault() {
    JobDescription zeroMomentum =
        sample().toBuilder()
            .setStrategy(sample().getStrategy().toBuilder().setMomentum(0.0))
            .build();
    JobDescription emptyLabel =
        sample().toBuilder().setData(DataSelection.getDefaultInstance()).build();
    assertNotEquals(JobDigest.of(sample()), JobDigest.of(zeroMomentum));
    assertNotEquals(
        JobDigest.of(sample().toBuilder().clearData().build()), JobDigest.of(emptyLabel));
  }

  @Test
  void stringsCannotBleedIntoTheNextField() {
    JobDescription a = sample().toBuilder().setId("ab").setTitle("c").build();
    JobDescription b = sample().toBuilder().setId("a").setTitle("bc").build();
    assertNotEquals(JobDigest.of(a), JobDigest.of(b));
  }

  @Test
  void descriptionsItCannotFullyCoverAreRefused() {
    JobDescription unknownField =
        sample().toBuilder()
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build();
    JobDescription unknownNested =
        sample().toBuilder()
            .setPrivacy(
                sample().getPrivacy().toBuilder()
                    .setUnknownFields(
                        UnknownFieldSet.newBuilder()
                            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                            .build()))
            .build();
    JobDescription unknownEnum =
        sample().toBuilder().setPrivacy(sample().getPrivacy().toBuilder().setModeValue(77)).build();
    JobDescription nan =
        sample().toBuilder()
            .setTraining(sample().getTraining().toBuilder().setLearningRate(Double.NaN))
            .build();

    assertEquals(
        "job has fields this version cannot digest (from a newer schema?)",
        assertThrows(IllegalArgumentException.class, () -> JobDigest.of(unknownField))
            .getMessage());
    assertEquals(
        "job.privacy has fields this version cannot digest (from a newer schema?)",
        assertThrows(IllegalArgumentException.class, () -> JobDigest.of(unknownNested))
            .getMessage());
    assertEquals(
        "privacy.mode holds an enum number this version cannot name",
        assertThrows(IllegalArgumentException.class, () -> JobDigest.of(unknownEnum)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> JobDigest.of(nan));
  }

  @Test
  void onlyLowercaseHexDigestsAreDigests() {
    String hex = JobDigest.of(sample()).hex();
    assertEquals(hex, new JobDigest(hex).hex());
    assertThrows(IllegalArgumentException.class, () -> new JobDigest(hex.toUpperCase()));
    assertThrows(IllegalArgumentException.class, () -> new JobDigest(hex.substring(1)));
    assertThrows(IllegalArgumentException.class, () -> new JobDigest(null));
  }

  /**
   * Adds, for every field under {@code message}, descriptions that differ from the sample in that
   * field only; {@code wrap} puts a changed {@code message} back into a whole description.
   */
  private static void collectMutations(
      Message message,
      String prefix,
      UnaryOperator<Message> wrap,
      Map<String, JobDescription> mutations) {
    for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
      String path = prefix + field.getName();
      List<Map.Entry<String, UnaryOperator<Message.Builder>>> changes = new ArrayList<>();
      if (field.isRepeated()) {
        changes.add(Map.entry(path + " += 1", b -> b.addRepeatedField(field, changed(field, 0))));
        if (message.getRepeatedFieldCount(field) > 0) {
          changes.add(Map.entry(path + " emptied", b -> b.clearField(field)));
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (message.hasField(field)) {
          changes.add(Map.entry(path + " absent", b -> b.clearField(field)));
          Message child = (Message) message.getField(field);
          collectMutations(
              child,
              path + ".",
              changedChild -> wrap.apply(message.toBuilder().setField(field, changedChild).build()),
              mutations);
        } else {
          changes.add(
              Map.entry(
                  path + " present", b -> b.setField(field, b.newBuilderForField(field).build())));
        }
      } else if (field.hasPresence() && !message.hasField(field)) {
        changes.add(
            Map.entry(
                path + " set to its default", b -> b.setField(field, field.getDefaultValue())));
        changes.add(
            Map.entry(
                path + " set", b -> b.setField(field, changed(field, field.getDefaultValue()))));
      } else {
        changes.add(
            Map.entry(
                path + " changed",
                b -> b.setField(field, changed(field, message.getField(field)))));
        if (field.hasPresence()) {
          changes.add(Map.entry(path + " unset", b -> b.clearField(field)));
        }
      }
      for (Map.Entry<String, UnaryOperator<Message.Builder>> entry : changes) {
        Message changed = entry.getValue().apply(message.toBuilder()).build();
        mutations.put(entry.getKey(), (JobDescription) wrap.apply(changed));
      }
    }
  }

  /** A value of the field's type other than {@code current}. */
  private static Object changed(FieldDescriptor field, Object current) {
    return switch (field.getJavaType()) {
      case INT -> (Integer) current + 1;
      case LONG -> (Long) current + 1;
      case DOUBLE -> (Double) current + 0.25;
      case STRING -> current + "x";
      case ENUM ->
          field.getEnumType().getValues().stream()
              .filter(value -> value != current)
              .findFirst()
              .map(EnumValueDescriptor.class::cast)
              .orElseThrow();
      default -> throw new AssertionError("no mutation for " + field.getFullName());
    };
  }
}
