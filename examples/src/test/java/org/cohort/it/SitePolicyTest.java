package org.cohort.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cohort.coordinator.Coordinator;
import org.cohort.coordinator.RoundListener;
import org.cohort.coordinator.RoundPhase;
import org.cohort.coordinator.RoundSummary;
import org.cohort.protocol.v1.DeclineReason;
import org.cohort.protocol.v1.Envelope;
import org.cohort.site.agent.SiteAgent;
import org.cohort.site.agent.SiteConfig;
import org.cohort.site.round.AggregationPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site's own policy decides what protection its update gets, whatever the coordinator's config
 * says: a coordinator run with {@code secure_aggregation.enabled: false} gets no raw update from a
 * site with the default policy, and a secure round weaker than a site's minimums is declined.
 */
class SitePolicyTest {

  private static final List<String> SITES = List.of("hospital-a", "hospital-b", "hospital-c");

  @Test
  void aCoordinatorThatTurnsProtectionOffGetsNoRawUpdateFromADefaultSite(@TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 2, 1, 3).plain());
      List<RoundSummary> rounds = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              rounds.add(summary);
            }
          });
      // Unmodified sites: no policy section in their site.yaml.
      federation.sitePolicy(Optional.empty());
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      SiteAgent a =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              Trainers.real(federation, 0),
              options -> options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false)));
      SiteAgent b =
          federation.startSite("hospital-b", coordinator.port(), Trainers.real(federation, 1));

      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> declines(sentByA, DeclineReason.DECLINE_REASON_PLAIN_AGGREGATION_REFUSED) >= 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> !rounds.isEmpty());
      assertEquals(RoundPhase.ABANDONED, rounds.get(0).phase());
      assertEquals(0, rounds.get(0).contributions());
      assertEquals(0, a.updatesSent());
      assertEquals(0, b.updatesSent());
      assertTrue(
          SentFrames.parse(sentByA).stream().noneMatch(Envelope::hasUpdateHeader),
          "hospital-a must never announce a raw update");
    }
  }

  @Test
  void aSecureRoundWeakerThanTheSitesMinimumsIsDeclined(@TempDir Path dir) {
    try (TestFederation federation = new TestFederation(dir)) {
      // Secure aggregation on, 3 participants: the complete graph, threshold 2, degree 2.
      Coordinator coordinator =
          federation.startCoordinator(
              "coordinator.yaml", new TestFederation.Settings(SITES, 3, 1, 5));
      List<RoundSummary> rounds = new CopyOnWriteArrayList<>();
      coordinator.addListener(
          new RoundListener() {
            @Override
            public void roundFinished(RoundSummary summary) {
              rounds.add(summary);
            }
          });
      federation.sitePolicy(
          Optional.of(new SiteConfig.Policy(new AggregationPolicy(null, 4, null, null))));
      ByteArrayOutputStream sentByA = new ByteArrayOutputStream();
      SiteAgent a =
          federation.startSite(
              "hospital-a",
              coordinator.port(),
              Trainers.real(federation, 0),
              options -> options.plaintextTap(() -> new PlaintextFrames(sentByA, e -> false)));
      federation.automaticSitePolicy();
      federation.startSite("hospital-b", coordinator.port(), Trainers.real(federation, 1));
      federation.startSite("hospital-c", coordinator.port(), Trainers.real(federation, 2));

      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  declines(sentByA, DeclineReason.DECLINE_REASON_SECURE_AGGREGATION_TOO_WEAK) >= 1);
      assertEquals(0, a.updatesSent());
      assertTrue(SentFrames.parse(sentByA).stream().noneMatch(Envelope::hasKeyAdvert));
      // The round cannot go on without hospital-a; let it end before the sites are stopped.
      await().atMost(Duration.ofSeconds(30)).until(() -> !rounds.isEmpty());
      assertEquals(RoundPhase.ABANDONED, rounds.get(0).phase());
    }
  }

  static long declines(ByteArrayOutputStream sent, DeclineReason reason) {
    return SentFrames.parse(sent).stream()
        .filter(Envelope::hasTaskDeclined)
        .filter(e -> e.getTaskDeclined().getReason() == reason)
        .count();
  }
}
