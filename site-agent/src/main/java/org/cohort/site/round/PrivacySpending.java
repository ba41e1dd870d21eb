package org.cohort.site.round;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.cohort.privacy.accounting.PrivacyEvent;
import org.cohort.privacy.accounting.PrivacySpent;
import org.cohort.privacy.accounting.RdpAccountant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this site's records have spent so far, per federation, from what the site actually released:
 * one event per round in which it sent a noised contribution, composed by the RDP accountant. Kept
 * in memory and logged after every release; the enforced, write-ahead and signed budget builds on
 * it. Thread-safe (releases come from the training and the secure-aggregation threads).
 */
public final class PrivacySpending {

  private static final Logger log = LoggerFactory.getLogger(PrivacySpending.class);

  private record Spent(RdpAccountant accountant, double delta, int releases) {}

  private final String siteId;
  private final Map<String, Spent> byFederation = new HashMap<>();

  public PrivacySpending(String siteId) {
    this.siteId = siteId;
  }

  /** This site released one round's {@code event} in {@code federationId}, at the job's δ. */
  synchronized void released(String federationId, long round, PrivacyEvent event, double delta) {
    Spent before = byFederation.get(federationId);
    Spent after =
        new Spent(
            (before == null ? RdpAccountant.create() : before.accountant()).compose(event),
            delta,
            before == null ? 1 : before.releases() + 1);
    byFederation.put(federationId, after);
    PrivacySpent spent = after.accountant().epsilon(delta);
    log.info(
        "{}: round {} of {} released; this site's records have spent epsilon {} at delta {} over {}"
            + " releases",
        siteId,
        round,
        federationId,
        String.format(java.util.Locale.ROOT, "%.4f", spent.epsilon()),
        delta,
        after.releases());
  }

  /** The guarantee of everything released in {@code federationId} and then {@code event}. */
  synchronized PrivacySpent after(String federationId, PrivacyEvent event, double delta) {
    Spent spent = byFederation.get(federationId);
    return (spent == null ? RdpAccountant.create() : spent.accountant())
        .compose(event)
        .epsilon(delta);
  }

  /** The guarantee of everything released in {@code federationId}, if anything was. */
  public synchronized Optional<PrivacySpent> spent(String federationId) {
    Spent spent = byFederation.get(federationId);
    return spent == null
        ? Optional.empty()
        : Optional.of(spent.accountant().epsilon(spent.delta()));
  }
}
