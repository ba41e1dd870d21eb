package org.cohort.coordinator;

import java.util.List;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.ShareDelivery;
import org.cohort.crypto.secagg.SurvivorSet;
import org.cohort.crypto.secagg.UnmaskRequest;

/**
 * The message that opens a secure round's next phase for one site ({@link CoordinatorMessages}
 * encodes it).
 */
sealed interface PhaseMessage {

  /** SHARING opens: every advert of U1 with, in the same order, its signing certificate (DER). */
  record Adverts(AdvertBundle bundle, List<byte[]> signingCertificates) implements PhaseMessage {}

  /** COLLECTING opens: the encrypted shares addressed to this site. */
  record Shares(ShareDelivery delivery) implements PhaseMessage {}

  /** CONFIRMING opens: the survivor set U3, for every site whose masked input arrived to sign. */
  record Survivors(SurvivorSet survivors) implements PhaseMessage {}

  /**
   * UNMASKING opens: this site's surviving and dropped neighbours and its neighbours' signatures
   * over U3, so it reveals the right shares only if the set is consistent.
   */
  record Unmask(UnmaskRequest request) implements PhaseMessage {}
}
