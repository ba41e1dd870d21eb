package org.cohort.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.v1.UpdateHeader;
import org.junit.jupiter.api.Test;

class RoundTest {

  private static final float[] BASE = {1f, 2f};

  private static Round round(int min, String... sites) {
    return Round.plain(7, List.of(sites), min, BASE, Instant.EPOCH, Duration.ofSeconds(60));
  }

  private static UpdateHeader header(long examples) {
    return UpdateHeader.newBuilder().setExampleCount(examples).setTotalElements(BASE.length).build();
  }

  private static void upload(Round round, String site, long examples, float... update) {
    assertNull(round.admitUpload(site, header(examples)));
    round.contribute(site, header(examples), update);
  }

  @Test
  void newGlobalIsBasePlusTheExampleWeightedMeanOfTheUpdates() {
    Round round = round(2, "a", "b");
    upload(round, "a", 1, 1f, 1f);
    assertEquals(Round.Decision.WAIT, round.settle(false, Instant.EPOCH));
    upload(round, "b", 3, 3f, -1f);
    assertEquals(Round.Decision.COMPLETE, round.settle(false, Instant.EPOCH));
    assertEquals(RoundPhase.COMPLETED, round.phase());
    // (1*[1,1] + 3*[3,-1]) / 4 = [2.5, -0.5]
    assertArrayEquals(new float[] {3.5f, 1.5f}, round.newGlobal());
    assertArrayEquals(new float[] {1f, 2f}, BASE, "the base model is never modified");
  }

  @Test
  void aSiteDroppedMidUploadContributesNothing() {
    Round round = round(1, "a", "b");
    upload(round, "a", 2, 1f, 1f);
    assertNull(round.admitUpload("b", header(100)));
    round.drop("b");
    assertFalse(round.contribute("b", header(100), new float[] {50f, 50f}), "a late upload after a drop is refused");
    assertEquals(Round.Decision.COMPLETE, round.settle(false, Instant.EPOCH));
    assertArrayEquals(new float[] {2f, 3f}, round.newGlobal());
  }

  @Test
  void tooFewRemainingParticipantsAbandonAtOnce() {
    Round round = round(2, "a", "b", "c");
    upload(round, "a", 1, 1f, 1f);
    round.drop("b");
    assertEquals(Round.Decision.WAIT, round.settle(false, Instant.EPOCH));
    round.decline("c");
    assertEquals(Round.Decision.ABANDON, round.settle(false, Instant.EPOCH));
    assertEquals(RoundPhase.ABANDONED, round.phase());
    assertThrows(IllegalStateException.class, round::newGlobal);
    assertEquals(ErrorCode.ERROR_CODE_WRONG_ROUND, round.admitUpload("c", header(1)));
  }

  @Test
  void theDeadlineCompletesWithEnoughAndAbandonsWithTooFew() {
    Round enough = round(1, "a", "b");
    upload(enough, "a", 1, 1f, 1f);
    assertEquals(Round.Decision.WAIT, enough.settle(false, Instant.EPOCH));
    assertEquals(Round.Decision.COMPLETE, enough.settle(true, Instant.EPOCH));

    Round tooFew = round(2, "a", "b");
    upload(tooFew, "a", 1, 1f, 1f);
    assertEquals(Round.Decision.ABANDON, tooFew.settle(true, Instant.EPOCH));
    assertEquals(1, tooFew.summary(Instant.EPOCH).contributions());
  }

  @Test
  void uploadsAreAdmittedOncePerParticipantWithAMatchingHeader() {
    Round round = round(1, "a", "b");
    assertEquals(ErrorCode.ERROR_CODE_NOT_PARTICIPANT, round.admitUpload("z", header(1)));
    assertNull(round.admitUpload("a", header(1)));
    assertEquals(ErrorCode.ERROR_CODE_DUPLICATE, round.admitUpload("a", header(1)));
    assertEquals(ErrorCode.ERROR_CODE_INVALID_UPDATE,
        round.admitUpload("b", UpdateHeader.newBuilder().setExampleCount(1).setTotalElements(3).build()));
    assertEquals(ErrorCode.ERROR_CODE_INVALID_UPDATE,
        round(1, "c").admitUpload("c", UpdateHeader.newBuilder().setTotalElements(2).build()));
  }
}
