package org.cohort.site.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cohort.crypto.secagg.ParticipantId;
import org.cohort.protocol.v1.DeclineReason;
import org.junit.jupiter.api.Test;

class ContributionLedgerTest {
  private static final ParticipantId A = ParticipantId.of("hospital-a");
  private static final ParticipantId B = ParticipantId.of("hospital-b");
  private static final ParticipantId C = ParticipantId.of("hospital-c");
  private static final ContributionLedger.BaseModel BASE =
      ContributionLedger.BaseModel.of("fed", new float[] {1, 2, 3});

  @Test
  void aSecondRoundOnTheSameBaseModelWithAnotherSetIsRefused() {
    ContributionLedger ledger = new ContributionLedger();
    assertTrue(ledger.contribute(BASE, 1, List.of(A, B, C)).isEmpty());
    // The same round narrows its set from the advertisers to the survivors.
    assertTrue(ledger.contribute(BASE, 1, List.of(A, C)).isEmpty());
    Refusal refusal = ledger.contribute(BASE, 2, List.of(A, B, C)).orElseThrow();
    assertEquals(DeclineReason.DECLINE_REASON_BASE_MODEL_REUSED, refusal.rule().declineReason());
    // The same set again reveals nothing new; another model or federation is a new record.
    assertTrue(ledger.contribute(BASE, 3, List.of(C, A)).isEmpty());
    assertTrue(
        ledger
            .contribute(
                ContributionLedger.BaseModel.of("fed", new float[] {1, 2, 4}), 4, List.of(A))
            .isEmpty());
    assertTrue(
        ledger
            .contribute(
                ContributionLedger.BaseModel.of("other", new float[] {1, 2, 3}), 5, List.of(A))
            .isEmpty());
  }

  @Test
  void theLedgerIsBounded() {
    ContributionLedger ledger = new ContributionLedger(2);
    ledger.contribute(BASE, 1, List.of(A, B));
    ledger.contribute(ContributionLedger.BaseModel.of("fed", new float[] {7}), 2, List.of(A));
    ledger.contribute(ContributionLedger.BaseModel.of("fed", new float[] {8}), 3, List.of(A));
    assertTrue(ledger.contribute(BASE, 4, List.of(A, C)).isEmpty(), "the oldest was forgotten");
  }
}
