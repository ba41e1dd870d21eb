package org.cohort.protocol.wire;

import org.cohort.protocol.v1.ErrorCode;

/** Told about every inbound message or connection refused with a typed error (for metrics). */
@FunctionalInterface
public interface RejectionListener {

  RejectionListener IGNORE = code -> {};

  void rejected(ErrorCode code);
}
