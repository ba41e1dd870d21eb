package org.cohort.site.round;

import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.TaskDeclined;
import org.cohort.protocol.wire.Envelopes;

/**
 * Something the site sends the coordinator, as the {@link RoundPipeline} produced it; the transport
 * only writes it. An upload is its header envelope followed by the vector as TensorChunk envelopes
 * of the header's federation and round; the vector is the reply's own array, not copied.
 */
public sealed interface Reply permits Reply.Message, Reply.PlainUpload, Reply.MaskedUpload {

  /** One envelope: a decline, an evaluation result or a secure-aggregation message. */
  record Message(Envelope envelope) implements Reply {}

  /**
   * An UpdateHeader envelope, then {@code update} (new − old parameters) as STREAM_UPDATE chunks.
   */
  record PlainUpload(Envelope header, float[] update) implements Reply {}

  /** A MaskedInputHeader envelope, then {@code residues} as STREAM_MASKED_INPUT chunks. */
  record MaskedUpload(Envelope header, int[] residues) implements Reply {}

  /** A TaskDeclined naming the refusal's reason and detail. */
  static Message declined(String federationId, long round, Refusal refusal) {
    return new Message(
        Envelopes.stamped(federationId, round)
            .setTaskDeclined(
                TaskDeclined.newBuilder()
                    .setReason(refusal.rule().declineReason())
                    .setDetail(refusal.detail()))
            .build());
  }
}
