package org.cohort.site.round;

import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.crypto.secagg.RoundSetup;
import org.cohort.crypto.secagg.SecAggException;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.privacy.noise.L2Clipping;
import org.cohort.privacy.round.RoundPrivacy;
import org.cohort.protocol.metrics.MetricSums;
import org.cohort.protocol.v1.AdvertBundle;
import org.cohort.protocol.v1.EvaluationResult;
import org.cohort.protocol.v1.EvaluationTask;
import org.cohort.protocol.v1.LocalMetrics;
import org.cohort.protocol.v1.PrivacySettings;
import org.cohort.protocol.v1.RoundTask;
import org.cohort.protocol.v1.SecAggPayload;
import org.cohort.protocol.v1.Stream;
import org.cohort.protocol.v1.TensorChunk;
import org.cohort.protocol.v1.TrainingSettings;
import org.cohort.protocol.v1.UpdateHeader;
import org.cohort.protocol.wire.Envelopes;
import org.cohort.protocol.wire.InvalidTensorStreamException;
import org.cohort.protocol.wire.TensorStreamAssembler;
import org.cohort.site.round.Refusal.Rule;
import org.cohort.site.training.LocalTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the site does with the coordinator's tasks on one connection, without the transport. A
 * round task goes through these stages:
 *
 * <ol>
 *   <li>policy: {@link TaskPolicy} checks the task (and its secure-aggregation setup) on arrival,
 *       so a refused task is declined, naming the {@link Rule}, before its model is sent;
 *   <li>the global model arrives as STREAM_GLOBAL_MODEL chunks;
 *   <li>train: the {@link LocalTrainer} trains from it, on the training thread, with a seed the
 *       site draws from its own SecureRandom (the task's seed is ignored: a coordinator that chose
 *       the seed could replay a site's training and subtract it from a sum);
 *   <li>delta: new − old parameters;
 *   <li>transforms: the configured {@link UpdateTransform}s in order (e.g. {@link L2Clip});
 *   <li>encode: a plain float update, or masked by the task's {@link SecureRound} on the
 *       secure-aggregation thread once the round's key shares are in.
 * </ol>
 *
 * An evaluation task is checked the same way and its model evaluated on the training thread; only
 * an EvaluationResult goes back. Each admitted task supersedes the one before (a refused one
 * changes nothing) and a round result ends its round: replies of a task that is no longer current
 * are dropped. Inbound methods are called on the connection thread, and nothing here blocks it.
 */
public final class RoundPipeline {

  private static final Logger log = LoggerFactory.getLogger(RoundPipeline.class);

  /**
   * What a pipeline needs that does not depend on the connection.
   *
   * @param siteId this site's identity, as its certificate names it
   * @param signingIdentity the kit's signing key and trust anchors; may read files, so it is only
   *     called on the secure-aggregation thread
   * @param secureAggregationRefusals told of every setup or message the engine refused
   * @param trainer trains and evaluates on the site's records, on the training thread
   * @param policy checks each task before its model is accepted
   * @param transforms applied to every update, plain or secure, in order, before it is encoded
   * @param trainingThread runs training and evaluation
   * @param secureThread runs every secure-aggregation engine step, one at a time
   * @param contributions the base models this site revealed shares for (against differencing)
   * @param trainingSeeds the site's own source of training seeds, used on the training thread only
   *     (never the task's seed: a coordinator that chose it could replay the site's training)
   * @param privacySpending what this site's records have spent, told of every private release
   */
  public record Config(
      String siteId,
      Supplier<SigningIdentity> signingIdentity,
      Consumer<SecAggException> secureAggregationRefusals,
      LocalTrainer trainer,
      TaskPolicy policy,
      List<UpdateTransform> transforms,
      Executor trainingThread,
      Executor secureThread,
      ContributionLedger contributions,
      RandomGenerator trainingSeeds,
      PrivacySpending privacySpending) {
    public Config {
      transforms = List.copyOf(transforms);
    }

    /**
     * With a fresh ledger (one per agent, shared by its successive connections) and training seeds
     * from a SecureRandom.
     */
    public Config(
        String siteId,
        Supplier<SigningIdentity> signingIdentity,
        Consumer<SecAggException> secureAggregationRefusals,
        LocalTrainer trainer,
        TaskPolicy policy,
        List<UpdateTransform> transforms,
        Executor trainingThread,
        Executor secureThread) {
      this(
          siteId,
          signingIdentity,
          secureAggregationRefusals,
          trainer,
          policy,
          transforms,
          trainingThread,
          secureThread,
          new ContributionLedger(),
          new SecureRandom(),
          new PrivacySpending(siteId));
    }
  }

  private final Config config;
  private final Executor connectionThread;
  private final Outbox outbox;
  // Confined to the connection thread.
  private String federationId;
  private Job current;

  /**
   * @param connectionThread the thread inbound methods are called on; replies are handed to {@code
   *     outbox} there
   */
  public RoundPipeline(Config config, Executor connectionThread, Outbox outbox) {
    this.config = config;
    this.connectionThread = connectionThread;
    this.outbox = outbox;
  }

  /** The coordinator accepted the site into {@code federationId}: tasks are served from now on. */
  public void welcomed(String federationId) {
    this.federationId = federationId;
  }

  /** A training task; its global model follows as chunks of the same round. */
  public void roundTask(long round, RoundTask task) {
    Optional<Refusal> refusal =
        config
            .policy()
            .check(federationId, task.getModel(), task.getLayoutList(), task.getTotalElements());
    if (refusal.isPresent()) {
      refuse(round, refusal.get());
      return;
    }
    RoundSetup setup = null;
    if (!task.getSecureAggregationSetup().isEmpty()) {
      try {
        setup =
            config
                .policy()
                .checkSetup(
                    task.getSecureAggregationSetup(),
                    federationId,
                    round,
                    expectedVectorLength(task.getPrivacy(), task.getTotalElements()),
                    ParticipantId.of(config.siteId()));
      } catch (SecAggException e) {
        config.secureAggregationRefusals().accept(e);
        refuse(round, Refusal.secureAggregation(e));
        return;
      }
    }
    Optional<Refusal> unprotected = config.policy().checkAggregation(Optional.ofNullable(setup));
    if (unprotected.isPresent()) {
      refuse(round, unprotected.get());
      return;
    }
    Optional<RoundPrivacy> checked;
    try {
      checked =
          TaskPrivacy.of(
              task.getPrivacy(),
              Math.toIntExact(task.getTotalElements()),
              Optional.ofNullable(setup));
    } catch (IllegalArgumentException e) {
      refuse(round, new Refusal(Rule.PRIVACY_SETTINGS_INVALID, e.getMessage()));
      return;
    }
    Optional<Refusal> notPrivateEnough =
        config
            .policy()
            .checkPrivacy(
                checked, task.getPrivacy().getPlannedRounds(), task.getPrivacy().getDelta());
    if (notPrivateEnough.isPresent()) {
      refuse(round, notPrivateEnough.get());
      return;
    }
    if (checked.isEmpty() && config.privacySpending().spent(federationId).isPresent()) {
      // An un-noised update after private ones would undo their guarantee for these records.
      refuse(
          round,
          new Refusal(
              Rule.PRIVACY_MODE_REFUSED,
              "this site already released privately in this federation and serves no round"
                  + " without differential privacy in it"));
      return;
    }
    Optional<Refusal> overBudget =
        checked.flatMap(
            p ->
                config
                    .policy()
                    .checkSpending(
                        config
                            .privacySpending()
                            .after(federationId, p.over(1), task.getPrivacy().getDelta())));
    if (overBudget.isPresent()) {
      refuse(round, overBudget.get());
      return;
    }
    replaceCurrent(
        new Job(
            round,
            federationId,
            task.getTotalElements(),
            setup,
            (job, global) ->
                checked.ifPresentOrElse(
                    p -> trainPrivately(job, task, global, p, task.getPrivacy().getDelta()),
                    () -> train(job, task, global))));
  }

  /** A distributed round sums the padded integer encoding, every other round the parameters. */
  private static long expectedVectorLength(PrivacySettings privacy, long totalElements) {
    return TaskPrivacy.distributed(privacy)
        ? RandomizedHadamard.paddedDimension(Math.toIntExact(totalElements))
        : totalElements;
  }

  /** An evaluation task; its global model follows as chunks of the same round. */
  public void evaluationTask(long round, EvaluationTask task) {
    Optional<Refusal> refusal =
        config
            .policy()
            .check(federationId, task.getModel(), task.getLayoutList(), task.getTotalElements());
    if (refusal.isPresent()) {
      refuse(round, refusal.get());
      return;
    }
    replaceCurrent(
        new Job(
            round,
            federationId,
            task.getTotalElements(),
            null,
            (job, global) -> evaluate(job, task, global)));
  }

  /**
   * A chunk of the current task's global model; the last one starts the task's work off this
   * thread.
   */
  public void modelChunk(long round, TensorChunk chunk) {
    Job job = current;
    if (job == null || job.round != round || job.model == null) {
      log.debug("{}: dropping a model chunk outside a task", config.siteId());
      return;
    }
    boolean complete;
    try {
      complete = job.model.accept(chunk);
    } catch (InvalidTensorStreamException e) {
      endCurrent();
      refuse(
          round,
          new Refusal(Rule.INVALID_MODEL_STREAM, "invalid global model stream: " + e.getMessage()));
      return;
    }
    if (complete) {
      float[] global = job.model.target();
      job.model = null;
      if (job.secure != null) {
        job.secure.baseModel(global);
      }
      config.trainingThread().execute(() -> job.work.run(job, global));
    }
  }

  public void adverts(long round, AdvertBundle bundle) {
    secureRound(round).ifPresent(secure -> secure.adverts(bundle));
  }

  public void shares(long round, SecAggPayload delivery) {
    secureRound(round).ifPresent(secure -> secure.shares(delivery));
  }

  public void survivors(long round, SecAggPayload survivorSet) {
    secureRound(round).ifPresent(secure -> secure.survivors(survivorSet));
  }

  public void unmask(long round, SecAggPayload request) {
    secureRound(round).ifPresent(secure -> secure.unmask(request));
  }

  /** The coordinator completed or abandoned {@code round}: nothing more is sent for it. */
  public void roundEnded(long round) {
    if (current != null && current.round == round) {
      endCurrent();
    }
  }

  // ---- training thread ----

  /** Train → delta → transforms → encode. */
  private void train(Job job, RoundTask task, float[] global) {
    LocalTrainer.Outcome outcome;
    try {
      TrainingSettings settings =
          task.getTraining().toBuilder().setSeed(config.trainingSeeds().nextLong()).build();
      outcome = config.trainer().train(task.getModel(), settings, global);
    } catch (RuntimeException e) {
      log.warn("{}: local training for round {} failed", config.siteId(), job.round, e);
      job.decline(new Refusal(Rule.TRAINING_FAILED, "local training failed"));
      return;
    }
    if (!usable(outcome, global.length)) {
      job.decline(new Refusal(Rule.UNUSABLE_MODEL, "trainer returned an unusable model"));
      return;
    }
    float[] update = delta(outcome.newParameters(), global);
    for (UpdateTransform transform : config.transforms()) {
      transform.apply(update);
    }
    encode(
        job, new TrainedUpdate(update, outcome.exampleCount(), outcome.metrics(), outcome.sums()));
  }

  /**
   * One round of DP-SGD with the patient record as the unit. DISTRIBUTED: the clipped gradient sum
   * of the site's own Poisson sample, integer-encoded with its noise share, masked. CENTRAL: that
   * sum over the public expected batch size B, with weight 1 (the sample size never leaves the
   * site). LOCAL: the update of the site's own noised DP-SGD steps, with weight 1. The release is
   * recorded before the contribution is handed on.
   */
  private void trainPrivately(
      Job job, RoundTask task, float[] global, RoundPrivacy privacy, double delta) {
    Contribution contribution;
    try {
      contribution =
          privacy.unit() == RoundPrivacy.Unit.SITE
              ? siteLevel(task, global, privacy)
              : switch (privacy.mode()) {
                case DISTRIBUTED ->
                    new Contribution.Residues(
                        privacy
                            .plan()
                            .encode(
                                config
                                    .trainer()
                                    .clippedGradientSum(
                                        task.getModel(),
                                        global,
                                        privacy.samplingRate(),
                                        privacy.clipNorm()),
                                privacy.distributed().rotationSeed()));
                case CENTRAL -> {
                  float[] sum =
                      config
                          .trainer()
                          .clippedGradientSum(
                              task.getModel(), global, privacy.samplingRate(), privacy.clipNorm());
                  for (int i = 0; i < sum.length; i++) {
                    sum[i] = (float) (sum[i] / privacy.expectedBatchSize());
                  }
                  yield withoutCounts(sum);
                }
                case LOCAL -> {
                  float[] update =
                      delta(
                          config
                              .trainer()
                              .trainPrivately(task.getModel(), task.getTraining(), global, privacy),
                          global);
                  yield withoutCounts(update);
                }
              };
    } catch (RuntimeException e) {
      log.warn("{}: private training for round {} failed", config.siteId(), job.round, e);
      job.decline(new Refusal(Rule.TRAINING_FAILED, "private local training failed"));
      return;
    }
    config.privacySpending().released(job.federationId, job.round, privacy.over(1), delta);
    encode(job, contribution);
  }

  /**
   * Site-level privacy: the site trains as without privacy, and its whole update, clipped to the
   * round's L2 norm C, is the protected unit: integer encoded with its noise share (distributed) or
   * over B with weight 1 (central).
   */
  private Contribution siteLevel(RoundTask task, float[] global, RoundPrivacy privacy) {
    TrainingSettings settings =
        task.getTraining().toBuilder().setSeed(config.trainingSeeds().nextLong()).build();
    LocalTrainer.Outcome outcome = config.trainer().train(task.getModel(), settings, global);
    if (!usable(outcome, global.length)) {
      throw new IllegalStateException("trainer returned an unusable model");
    }
    float[] update = delta(outcome.newParameters(), global);
    L2Clipping.clipInPlace(update, privacy.clipNorm());
    if (privacy.mode() == RoundPrivacy.Mode.DISTRIBUTED) {
      return new Contribution.Residues(
          privacy.plan().encode(update, privacy.distributed().rotationSeed()));
    }
    for (int i = 0; i < update.length; i++) {
      update[i] = (float) (update[i] / privacy.expectedBatchSize());
    }
    return withoutCounts(update);
  }

  /** A private contribution: weight 1 and no metrics, so no count leaves the site un-noised. */
  private static TrainedUpdate withoutCounts(float[] values) {
    return new TrainedUpdate(values, 1, LocalMetrics.getDefaultInstance(), MetricSums.NONE);
  }

  /** Same length, finite (so that it can be clipped and averaged), from at least one example. */
  private static boolean usable(LocalTrainer.Outcome outcome, int length) {
    if (outcome.newParameters().length != length || outcome.exampleCount() < 1) {
      return false;
    }
    for (float p : outcome.newParameters()) {
      if (!Float.isFinite(p)) {
        return false;
      }
    }
    return true;
  }

  /** new − old parameters, computed in place in the trainer's fresh output array. */
  private static float[] delta(float[] trained, float[] global) {
    for (int i = 0; i < trained.length; i++) {
      trained[i] -= global[i];
    }
    return trained;
  }

  /** Fixed when the task was admitted: a secure task's update is never sent in the clear. */
  private static void encode(Job job, Contribution contribution) {
    if (job.secure != null) {
      job.secure.mask(contribution);
      return;
    }
    // Residues exist only in distributed rounds, which the policy admits only with a secure setup.
    TrainedUpdate update = (TrainedUpdate) contribution;
    job.deliver(
        new Reply.PlainUpload(
            Envelopes.stamped(job.federationId, job.round)
                .setUpdateHeader(
                    UpdateHeader.newBuilder()
                        .setExampleCount(update.exampleCount())
                        .setTotalElements(update.values().length)
                        .setMetrics(update.metrics()))
                .build(),
            update.values()));
  }

  private void evaluate(Job job, EvaluationTask task, float[] global) {
    LocalMetrics metrics;
    try {
      metrics = config.trainer().evaluate(task.getModel(), global);
    } catch (RuntimeException e) {
      log.warn("{}: local evaluation for round {} failed", config.siteId(), job.round, e);
      job.decline(new Refusal(Rule.EVALUATION_FAILED, "local evaluation failed"));
      return;
    }
    job.deliver(
        new Reply.Message(
            Envelopes.stamped(job.federationId, job.round)
                .setEvaluationResult(EvaluationResult.newBuilder().setMetrics(metrics))
                .build()));
  }

  // ---- connection thread ----

  private Optional<SecureRound> secureRound(long round) {
    if (current == null || current.round != round || current.secure == null) {
      log.debug(
          "{}: dropping a secure-aggregation message outside its secure round", config.siteId());
      return Optional.empty();
    }
    return Optional.of(current.secure);
  }

  private void replaceCurrent(Job next) {
    endCurrent();
    current = next;
    if (next.secure != null) {
      next.secure.start();
    }
  }

  private void endCurrent() {
    if (current != null && current.secure != null) {
      current.secure.cancel();
    }
    current = null;
  }

  private void refuse(long round, Refusal refusal) {
    log.info(
        "{}: declining round {} ({}): {}",
        config.siteId(),
        round,
        refusal.rule(),
        refusal.detail());
    outbox.send(Reply.declined(federationId == null ? "" : federationId, round, refusal));
  }

  /** What a task does with its complete global model, on the training thread. */
  @FunctionalInterface
  private interface Work {
    void run(Job job, float[] global);
  }

  /** One admitted task: its model arrives as chunks, then its work runs on the training thread. */
  private final class Job {
    private final long round;
    private final String federationId;
    private final Work work;

    /** The masked encoding stage; null unless the task is a secure round. */
    private final SecureRound secure;

    /** Null once the whole model has arrived. */
    private TensorStreamAssembler model;

    private Job(long round, String federationId, long totalElements, RoundSetup setup, Work work) {
      this.round = round;
      this.federationId = federationId;
      this.work = work;
      // SecureRound only keeps the callback; nothing of it runs before start().
      this.secure = setup == null ? null : new SecureRound(config, setup, this::deliver);
      this.model =
          new TensorStreamAssembler(
              Stream.STREAM_GLOBAL_MODEL, new float[Math.toIntExact(totalElements)], true);
    }

    /**
     * Hands {@code reply} to the outbox on the connection thread if this task is still the current
     * one.
     */
    private void deliver(Reply reply) {
      try {
        connectionThread.execute(
            () -> {
              if (current == this) {
                outbox.send(reply);
              }
            });
      } catch (RejectedExecutionException e) {
        // The connection and its thread are gone: there is nobody left to reply to.
        log.debug(
            "{}: dropping a reply for round {}: the connection is closed", config.siteId(), round);
      }
    }

    private void decline(Refusal refusal) {
      log.info(
          "{}: declining round {} ({}): {}",
          config.siteId(),
          round,
          refusal.rule(),
          refusal.detail());
      deliver(Reply.declined(federationId, round, refusal));
    }
  }
}
