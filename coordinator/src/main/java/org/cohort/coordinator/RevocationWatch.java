package org.cohort.coordinator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.cohort.crypto.pki.RevocationList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the coordinator's revocation list file (every second) and acts on each newer CA-signed
 * list: the connections of revoked sites are closed at once (not at their next handshake), the
 * federation abandons a round a revoked site takes part in and checks later signing certificates
 * against the new list, and every other connected site is sent the list to store. A file that
 * becomes unreadable, unsigned or older is ignored (logged); the TLS trust manager, which re-reads
 * the same file at every handshake, refuses new connections until it is fixed.
 */
final class RevocationWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RevocationWatch.class);
  private static final long POLL_MILLIS = 1_000;

  /** What the watch tells of a newer list. */
  interface Subscriber {
    void revocationListChanged(RevocationList list);
  }

  private record FileStamp(FileTime modified, long size) {}

  private final Path file;
  private final X509Certificate caCertificate;
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService poller;
  private volatile Optional<RevocationList> current;
  private FileStamp seen;

  /**
   * @param file the coordinator's CRL file; if absent at start nothing is watched or relayed
   */
  RevocationWatch(Optional<Path> file, X509Certificate caCertificate) {
    this.file = file.orElse(null);
    this.caCertificate = caCertificate;
    this.current = Optional.empty();
    if (this.file == null) {
      this.poller = null;
      return;
    }
    this.seen = stamp();
    this.current = Optional.of(RevocationList.read(this.file, caCertificate));
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cohort-crl-watch");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The newest list read so far. */
  Optional<RevocationList> current() {
    return current;
  }

  boolean revokes(X509Certificate certificate) {
    Optional<RevocationList> list = current;
    return list.isPresent() && list.get().revokes(certificate);
  }

  void subscribe(Subscriber subscriber) {
    subscribers.add(subscriber);
  }

  void unsubscribe(Subscriber subscriber) {
    subscribers.remove(subscriber);
  }

  /** Reads the file now if it changed (the poller calls this every second). */
  void poll() {
    try {
      FileStamp stamp = stamp();
      if (stamp == null || stamp.equals(seen)) {
        return;
      }
      seen = stamp;
      RevocationList read = RevocationList.read(file, caCertificate);
      if (current.isPresent() && !read.isNewerThan(current.get())) {
        log.warn(
            "ignoring revocation list number {} in {}: not newer than number {}",
            read.number(),
            file,
            current.get().number());
        return;
      }
      current = Optional.of(read);
      log.info(
          "revocation list number {} (valid until {}) read from {}; applying it to {} connections",
          read.number(),
          read.nextUpdate(),
          file,
          subscribers.size());
      for (Subscriber subscriber : subscribers) {
        subscriber.revocationListChanged(read);
      }
    } catch (RuntimeException e) {
      // A list half-written by hand, say: the next change is read again.
      log.warn("cannot use the revocation list in {}: {}", file, e.getMessage());
    }
  }

  private FileStamp stamp() {
    try {
      return new FileStamp(Files.getLastModifiedTime(file), Files.size(file));
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void close() {
    if (poller != null) {
      poller.shutdownNow();
    }
  }
}
