package org.cohort.coordinator;

import java.util.List;
import org.cohort.crypto.secagg.AdvertBundle;
import org.cohort.crypto.secagg.ShareDelivery;
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

  /** UNMASKING opens: who survived and who dropped, so survivors reveal the right shares. */
  record Unmask(UnmaskRequest request) implements PhaseMessage {}
}
