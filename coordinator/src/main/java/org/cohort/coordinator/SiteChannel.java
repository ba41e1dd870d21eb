package org.cohort.coordinator;

import java.util.concurrent.CompletableFuture;
import org.cohort.protocol.v1.Envelope;
import org.cohort.protocol.v1.ErrorCode;
import org.cohort.protocol.wire.EncodedTensor;

/**
 * What the federation needs of one site's connection, and all it may do with it. Implemented by the
 * Netty handler {@link SiteConnection}; the round logic never touches the transport itself, so unit
 * tests drive it with a fake channel. Every method may be called from any thread.
 */
interface SiteChannel {

  /** The site's id, from its certificate. */
  String siteId();

  void send(Envelope envelope);

  /**
   * Sends {@code envelope}, then {@code model}: STREAM_GLOBAL_MODEL chunks of {@code envelope}'s
   * round, encoded once for all sites.
   */
  void sendWithModel(Envelope envelope, EncodedTensor model);

  /** Sends {@code last}, then closes the connection; completes once it is closed. */
  CompletableFuture<Void> close(Envelope last);

  /** The upload announced by the site's header may now be received into {@code upload}'s buffer. */
  void admitUpload(StagedUpload upload);

  /**
   * The upload's grant expired (its phase closed) before the upload completed: the channel stops
   * writing into its buffer and fails it, which returns the buffer; the rest of it is discarded.
   */
  void revokeUpload(StagedUpload upload);

  /** The announced upload is refused: the site hears why and its chunks are read and discarded. */
  void refuseUpload(long round, ErrorCode code, String detail);
}
