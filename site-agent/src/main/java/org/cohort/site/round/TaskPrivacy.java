package org.cohort.site.round;

import java.util.Optional;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggParameters;
import org.cohort.privacy.accounting.InvalidPrivacyParameterException;
import org.cohort.privacy.distributed.NoiseKind;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.v1.PrivacyMode;
import org.cohort.protocol.v1.PrivacyNoise;
import org.cohort.protocol.v1.PrivacySettings;

/** A task's privacy settings as the site reads them: every number checked, nothing trusted. */
final class TaskPrivacy {

  private TaskPrivacy() {}

  /** Whether the task is a distributed-DP round (whose secure sum is its integer encoding). */
  static boolean distributed(PrivacySettings settings) {
    return settings.getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
  }

  /**
   * The privacy of a task for a model of {@code dimension} parameters, checked against the task's
   * secure-aggregation setup; empty for mode OFF. A distributed round's secure sum must be over the
   * integer encoding's bits and padded length, and the task may not claim more noise shares in
   * every unmasked sum than the setup's threshold t guarantees (an overstated count would shrink
   * each share below what the guarantee needs). Other rounds must not use the integer encoding.
   *
   * @throws IllegalArgumentException with a safe detail naming the setting that is missing, out of
   *     range or inconsistent with the setup
   */
  static Optional<RoundPrivacy> of(
      PrivacySettings settings, int dimension, Optional<RoundSetup> setup) {
    if (!distributed(settings)
        && setup.isPresent()
        && setup.get().parameters().encoding() != SecAggParameters.Encoding.FIXED_POINT) {
      throw new IllegalArgumentException(
          "an integer-encoded secure sum without distributed privacy");
    }
    RoundPrivacy.Mode mode =
        switch (settings.getMode()) {
          case PRIVACY_MODE_OFF -> null;
          case PRIVACY_MODE_DISTRIBUTED -> RoundPrivacy.Mode.DISTRIBUTED;
          case PRIVACY_MODE_CENTRAL -> RoundPrivacy.Mode.CENTRAL;
          case PRIVACY_MODE_LOCAL -> RoundPrivacy.Mode.LOCAL;
          case UNRECOGNIZED ->
              throw new InvalidPrivacyParameterException("the task's privacy mode is unknown");
        };
    if (mode == null) {
      return Optional.empty();
    }
    if (settings.getPlannedRounds() < 1) {
      throw new InvalidPrivacyParameterException("privacy.planned_rounds must be >= 1");
    }
    if (!(settings.getDelta() > 0 && settings.getDelta() < 1)) {
      throw new InvalidPrivacyParameterException("privacy.delta must be in (0, 1)");
    }
    RoundPrivacy privacy =
        new RoundPrivacy(
            mode,
            settings.getClipNorm(),
            settings.getNoiseMultiplier(),
            settings.getSamplingRate(),
            settings.getExpectedBatchSize(),
            dimension,
            mode == RoundPrivacy.Mode.LOCAL ? settings.getLocalSteps() : 1,
            mode == RoundPrivacy.Mode.DISTRIBUTED ? encoding(settings, setup) : null,
            switch (settings.getUnit()) {
              case PRIVACY_UNIT_PATIENT -> RoundPrivacy.Unit.PATIENT;
              case PRIVACY_UNIT_SITE -> RoundPrivacy.Unit.SITE;
              case UNRECOGNIZED ->
                  throw new InvalidPrivacyParameterException("the task's privacy unit is unknown");
            });
    if (privacy.distributed() != null
        && privacy.plan().paddedDimension() != setup.get().parameters().vectorLength()) {
      throw new IllegalArgumentException(
          "the secure sum's length is not the integer encoding's padded length");
    }
    return Optional.of(privacy);
  }

  private static RoundPrivacy.Distributed encoding(
      PrivacySettings settings, Optional<RoundSetup> setup) {
    if (setup.isEmpty()) {
      throw new IllegalArgumentException("distributed privacy without secure aggregation");
    }
    SecAggParameters parameters = setup.get().parameters();
    if (parameters.encoding() != SecAggParameters.Encoding.INTEGER
        || parameters.bits() != settings.getBits()) {
      throw new IllegalArgumentException(
          "the secure sum is not over the integer encoding's Z_(2^" + settings.getBits() + ")");
    }
    int threshold = parameters.graph().threshold();
    if (settings.getGuaranteedShares() > threshold) {
      throw new IllegalArgumentException(
          "the task counts "
              + settings.getGuaranteedShares()
              + " noise shares in every sum, the round's threshold guarantees only "
              + threshold);
    }
    if (settings.getMaxShares() != setup.get().participants().size()) {
      throw new IllegalArgumentException("the task's max_shares is not the round's participants");
    }
    return new RoundPrivacy.Distributed(
        settings.getBits(),
        settings.getNoise() == PrivacyNoise.PRIVACY_NOISE_SKELLAM
            ? NoiseKind.SKELLAM
            : NoiseKind.DISCRETE_GAUSSIAN,
        settings.getGuaranteedShares(),
        settings.getMaxShares(),
        settings.getRotationSeed().toByteArray());
  }
}
