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
      ContributionLedger.BaseModel.of(new float[] {1, 2, 3});

  @Test
  void afterRevealingOnABaseModelOnlyTheSameSetIsAccepted() {
    ContributionLedger ledger = new ContributionLedger();
    assertTrue(ledger.check(BASE, 1, List.of(A, B, C)).isEmpty(), "nothing revealed yet");
    ledger.revealed(BASE, 1, List.of(A, C));
    assertTrue(
        ledger.check(BASE, 1, List.of(A, B, C)).isPresent(),
        "a coordinator that reuses the round number gets no second set either");
    Refusal refusal = ledger.check(BASE, 2, List.of(A, B, C)).orElseThrow();
    assertEquals(DeclineReason.DECLINE_REASON_BASE_MODEL_REUSED, refusal.rule().declineReason());
    assertTrue(ledger.check(BASE, 3, List.of(C, A)).isEmpty(), "the same set reveals nothing new");
    ledger.revealed(BASE, 3, List.of(C, A));
    assertTrue(ledger.check(BASE, 4, List.of(A, B)).isPresent(), "the first record stays");
    assertTrue(
        ledger
            .check(ContributionLedger.BaseModel.of(new float[] {1, 2, 4}), 5, List.of(A))
            .isEmpty());
    assertEquals(
        BASE,
        ContributionLedger.BaseModel.of(new float[] {1, 2, 3}),
        "the digest of the model alone, whatever federation id the coordinator announces");
  }

  @Test
  void theLedgerIsBounded() {
    ContributionLedger ledger = new ContributionLedger(2);
    ledger.revealed(BASE, 1, List.of(A, B));
    ledger.revealed(ContributionLedger.BaseModel.of(new float[] {7}), 2, List.of(A));
    ledger.revealed(ContributionLedger.BaseModel.of(new float[] {8}), 3, List.of(A));
    assertTrue(ledger.check(BASE, 4, List.of(A, C)).isEmpty(), "the oldest was forgotten");
  }

  @Test
  void theDigestIsTheSha256OfTheWholeModelAcrossBlocks() throws Exception {
    float[] model = new float[40_000]; // more than two hashing blocks
    for (int i = 0; i < model.length; i++) {
      model[i] = i * 0.5f - 7;
    }
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 * model.length);
    bytes.order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(model);
    String expected =
        java.util.HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    assertEquals(expected, ContributionLedger.BaseModel.of(model).digest());
  }
}
