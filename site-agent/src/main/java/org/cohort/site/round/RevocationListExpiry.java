package org.cohort.site.round;

import java.time.Instant;
import java.util.Optional;

/** When the site's newest CA-signed revocation list stops vouching for anyone. */
@FunctionalInterface
public interface RevocationListExpiry {
  /**
   * @return the list's next-update date; empty if the site holds no list
   */
  Optional<Instant> nextUpdate();
}
