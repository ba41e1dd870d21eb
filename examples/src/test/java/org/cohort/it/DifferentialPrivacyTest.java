package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.coordinator.config.CoordinatorConfig;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import org.cohort.privacy.distributed.RandomizedHadamard;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.round.AggregationPolicy;
import org.cohort.site.round.PrivacyPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11 over real mutual TLS, with real ND4J training on each site's synthetic hospital: every
 * mode trains a federation whose sites release only noised, count-free contributions and account
 * for every release; a site refuses a job whose privacy its own policy does not accept.
 */
class DifferentialPrivacyTest {

  private static final List<String> SITES =
      List.of("hospital-a", "hospital-b", "hospital-c", "hospital-d");
  private static final int ROUNDS = 2;
  private static final double SAMPLING_RATE = 0.2;
  private static final double NOISE_MULTIPLIER = 1.0;
  private static final double DELTA = 1e-5;

  /** privacy: {mode, noise_multiplier 1, clip 1, q 0.2, B = q · 4 sites · ~160 training rows}. */
  private static CoordinatorConfig.Privacy privacy(String mode, Double epsilon) {
    return new CoordinatorConfig.Privacy(
        mode,
        null,
        epsilon,
        epsilon == null ? NOISE_MULTIPLIER : null,
        DELTA,
        1.0,
        SAMPLING_RATE,
        SAMPLING_RATE * 4 * 160,
        null,
        null,
        null,
        3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"distributed", "central", "local"})
  void everyModeTrainsAndEverySiteAccountsForWhatItReleased(String mode, @TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, SITES.size(), ROUNDS, 60)
                  .withPrivacy(privacy(mode, null)));
      float[] initial = coordinator.globalModel().parameters();
      List<RoundSummary> summaries = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              summaries.add(summary);
            }
          });
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      List<SiteAgent> agents = new ArrayList<>();
      for (int i = 0; i < SITES.size(); i++) {
        agents.add(
            federation.startSite(
                SITES.get(i),
                coordinator.port(),
                Trainers.real(federation, i % 3),
                i > 0
                    ? options -> options
                    : options ->
                        options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false))));
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> coordinator.finished().isDone());
      assertEquals(ROUNDS, summaries.size());
      assertTrue(
          summaries.stream().allMatch(s -> s.phase() == RoundPhase.COMPLETED), summaries::toString);

      float[] trained = coordinator.globalModel().parameters();
      boolean changed = false;
      for (int i = 0; i < trained.length; i++) {
        assertTrue(Float.isFinite(trained[i]));
        changed |= trained[i] != initial[i];
      }
      assertTrue(changed, "the private steps moved the model");

      // No count leaves a site in the clear, and its secure sum has weight 1.
      List<Envelope> sent = SentFrames.parse(sentByA);
      assertFalse(sent.stream().anyMatch(Envelope::hasUpdateHeader));
      List<Envelope> masked = sent.stream().filter(Envelope::hasMaskedInputHeader).toList();
      assertEquals(ROUNDS, masked.size());
      long expectedLength =
          "distributed".equals(mode)
              ? RandomizedHadamard.paddedDimension(trained.length) + 1
              : trained.length + 1;
      for (Envelope envelope : masked) {
        assertEquals(expectedLength, envelope.getMaskedInputHeader().getTotalElements());
      }

      // Every site recorded one release per round, of the mechanism the job's settings describe.
      List<Double> epsilons = new ArrayList<>();
      for (SiteAgent agent : agents) {
        PrivacySpent spent = agent.privacySpent(TestFederation.FEDERATION).orElseThrow();
        epsilons.add(spent.epsilon());
        assertTrue(spent.epsilon() > 0 && Double.isFinite(spent.epsilon()));
      }
      if (!"distributed".equals(mode)) {
        int stepsPerRound = "local".equals(mode) ? 3 : 1;
        double expected =
            RdpAccountant.create()
                .compose(
                    new PrivacyEvent.SubsampledGaussian(
                        SAMPLING_RATE, NOISE_MULTIPLIER, (long) ROUNDS * stepsPerRound))
                .epsilon(DELTA)
                .epsilon();
        for (double epsilon : epsilons) {
          assertEquals(expected, epsilon, 1e-9 * expected);
        }
      } else {
        // Same settings on every site: the same guarantee, a little weaker than the continuous
        // Gaussian's (rounding inflates the sensitivity).
        double gaussian =
            RdpAccountant.create()
                .compose(
                    new PrivacyEvent.SubsampledGaussian(SAMPLING_RATE, NOISE_MULTIPLIER, ROUNDS))
                .epsilon(DELTA)
                .epsilon();
        for (double epsilon : epsilons) {
          assertEquals(epsilons.get(0), epsilon, 1e-12);
          assertTrue(epsilon >= gaussian, epsilon + " vs the Gaussian's " + gaussian);
          assertTrue(epsilon < 2 * gaussian, epsilon + " vs the Gaussian's " + gaussian);
        }
      }
    }
  }

  /**
   * unit: site — every site's whole update, clipped to C, is the protected unit (q = 1, B = the 4
   * sites), noised in shares under secure aggregation.
   */
  @Test
  void siteLevelPrivacyClipsAndNoisesEachSitesWholeUpdate(@TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, SITES.size(), ROUNDS, 60)
                  .withPrivacy(
                      new CoordinatorConfig.Privacy(
                          "distributed",
                          "site",
                          null,
                          NOISE_MULTIPLIER,
                          DELTA,
                          1.0,
                          1.0,
                          4.0,
                          null,
                          null,
                          null,
                          null)));
      float[] initial = coordinator.globalModel().parameters();
      List<SiteAgent> agents = new ArrayList<>();
      for (int i = 0; i < SITES.size(); i++) {
        agents.add(
            federation.startSite(
                SITES.get(i), coordinator.port(), Trainers.real(federation, i % 3)));
      }
      await().atMost(Duration.ofSeconds(120)).until(() -> coordinator.finished().isDone());
      assertEquals(ROUNDS, coordinator.finished().join());
      float[] trained = coordinator.globalModel().parameters();
      double moved = 0;
      for (int i = 0; i < trained.length; i++) {
        assertTrue(Float.isFinite(trained[i]));
        moved += (trained[i] - initial[i]) * (trained[i] - initial[i]);
      }
      assertTrue(moved > 0, "the noisy mean of the clipped updates moved the model");
      // Every round: the whole federation's data set, q = 1, about the Gaussian's guarantee.
      double gaussian =
          RdpAccountant.create()
              .compose(PrivacyEvent.SubsampledGaussian.gaussian(NOISE_MULTIPLIER, ROUNDS))
              .epsilon(DELTA)
              .epsilon();
      for (SiteAgent agent : agents) {
        double epsilon = agent.privacySpent(TestFederation.FEDERATION).orElseThrow().epsilon();
        assertTrue(epsilon >= gaussian && epsilon < 2 * gaussian, epsilon + " vs " + gaussian);
      }
    }
  }

  @Test
  void aSiteRefusesAJobAboveItsEpsilonLimitAndTheOthersTrainWithoutIt(@TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml",
              new TestFederation.Settings(SITES, 3, 1, 60)
                  .withPrivacy(privacy("distributed", 4.0)));
      federation.sitePolicy(
          Optional.of(
              new SiteConfig.Policy(
                  AggregationPolicy.DEFAULT, new PrivacyPolicy(null, null, 1.0, null, null))));
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      SiteAgent strict =
          federation.startSite(
              SITES.get(0),
              coordinator.port(),
              Trainers.real(federation, 0),
              options -> options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false)));
      // In every round's participants: connected before the sites that let a round start.
      await().atMost(Duration.ofSeconds(30)).until(() -> strict.welcomes() >= 1);
      federation.sitePolicy(Optional.empty());
      for (int i = 1; i < SITES.size(); i++) {
        federation.startSite(SITES.get(i), coordinator.port(), Trainers.real(federation, i % 3));
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> coordinator.finished().isDone());
      assertEquals(1L, coordinator.finished().join());
      assertTrue(
          SitePolicyTest.declines(sentByA, DeclineReason.DECLINE_REASON_PRIVACY_REFUSED) >= 1);
      assertTrue(strict.privacySpent(TestFederation.FEDERATION).isEmpty(), "released nothing");
      Envelope declined =
          SentFrames.parse(sentByA).stream().filter(Envelope::hasTaskDeclined).findFirst().get();
      assertTrue(
          declined.getTaskDeclined().getDetail().contains("policy.privacy.max_epsilon"),
          declined.getTaskDeclined().getDetail());
      assertFalse(SentFrames.parse(sentByA).stream().anyMatch(Envelope::hasMaskedInputHeader));
    }
  }
}
