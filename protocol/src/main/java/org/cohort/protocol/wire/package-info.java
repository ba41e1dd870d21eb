/**
 * Reusable pieces of the Cohort wire protocol (cohort/v1/cohort.proto) for Netty pipelines.
 *
 * <p>Pipeline, both sides: TLS, {@link org.cohort.protocol.wire.FrameCodec} (4-byte length prefix,
 * hard frame limit), {@link org.cohort.protocol.wire.EnvelopeValidator} (major version, federation
 * id), Netty's ChunkedWriteHandler (writes {@link org.cohort.protocol.wire.TensorChunkInput} only
 * while the channel is writable), IdleStateHandler + {@link
 * org.cohort.protocol.wire.HeartbeatHandler}, the application handler, and {@link
 * org.cohort.protocol.wire.ProtocolFailureHandler} last.
 *
 * <p>Message flow:
 *
 * <pre>
 * site                                   coordinator
 *  |-- TLS 1.3 handshake (mutual) -------->| identity = certificate (role SITE, id allowed)
 *  |-- Hello(claimed_site_id) ------------>| must equal the certificate's id
 *  |<-------------- Welcome(chunk size, heartbeat interval, frame limit)
 *  |<-------------- RoundTask(round r, model spec, layout, training, deadline)
 *  |<-------------- TensorChunk* (STREAM_GLOBAL_MODEL, round r, in order, last flagged)
 *  |   train locally (off the event loop)  |
 *  |-- UpdateHeader(r, example_count, metrics) ->| admitted? staging buffer granted?
 *  |-- TensorChunk* (STREAM_UPDATE, r) ---->| folded into the sum only when complete
 *  |   (or TaskDeclined(r, reason))        |
 *  |<-------------- RoundResult(r, completed | abandoned)
 *  |<-------------- Goodbye(federation_finished) after the last round
 * Heartbeats both ways on writer idle; Error(code, fatal) for refused input.
 * </pre>
 *
 * <p>With secure aggregation (protocol 1.1, the default) the RoundTask carries a RoundSetup and the
 * update is replaced by: SignedKeyAdvert (site), AdvertBundle (coordinator), share_bundle (site),
 * share_delivery (coordinator), MaskedInputHeader + TensorChunk* STREAM_MASKED_INPUT (site, uint32
 * residues, {@link org.cohort.protocol.wire.ResidueStreamAssembler}), unmask_request (coordinator),
 * unmask_response (site); see docs/secure-aggregation.md.
 */
package org.cohort.protocol.wire;
