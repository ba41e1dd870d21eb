package org.cohort.site.agent;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import org.cohort.crypto.pki.KitFiles;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.RevocationList;
import org.cohort.site.round.RevocationListExpiry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest CA-signed revocation list this site holds, kept in its kit's CRL file so that it
 * survives a restart (and so that the TLS trust manager, which re-reads that file, refuses a
 * revoked coordinator at the next handshake). The coordinator relays lists; one is kept only if the
 * kit's CA signed it and its cRLNumber is higher than the held one's, so a coordinator can neither
 * forge a list nor roll one back. The kit is read on first use.
 */
final class SiteRevocationList implements RevocationListExpiry {

  private static final Logger log = LoggerFactory.getLogger(SiteRevocationList.class);

  /** What became of a relayed list. */
  enum Offer {
    /** Newer than the held one and signed by the CA: now the site's list. */
    ACCEPTED,
    /** Not newer than the held one (a replay or a rollback): ignored. */
    NOT_NEWER,
    /** Malformed or not signed by the kit's CA: ignored. */
    INVALID
  }

  private final String siteId;
  private final Path caCertificateFile;
  private final Path file;
  private X509Certificate caCertificate;
  private Optional<RevocationList> current = Optional.empty();
  private boolean loaded;

  SiteRevocationList(String siteId, KitFiles kit) {
    this.siteId = siteId;
    this.caCertificateFile = kit.caCertificate();
    this.file = kit.revocationList();
  }

  /** Checks and, if newer, stores a list the coordinator relayed (DER). */
  synchronized Offer offer(byte[] der) {
    load();
    RevocationList offered;
    try {
      offered = RevocationList.verify(der, caCertificate());
    } catch (PkiException e) {
      log.warn("{}: ignoring a relayed revocation list: {}", siteId, e.getMessage());
      return Offer.INVALID;
    }
    if (current.isPresent() && !offered.isNewerThan(current.get())) {
      return Offer.NOT_NEWER;
    }
    offered.writeTo(file);
    current = Optional.of(offered);
    log.info(
        "{}: stored revocation list number {} (valid until {})",
        siteId,
        offered.number(),
        offered.nextUpdate());
    return Offer.ACCEPTED;
  }

  @Override
  public synchronized Optional<Instant> nextUpdate() {
    load();
    return current.map(RevocationList::nextUpdate);
  }

  synchronized Optional<BigInteger> number() {
    load();
    return current.map(RevocationList::number);
  }

  synchronized boolean revokes(X509Certificate certificate) {
    load();
    return current.isPresent() && current.get().revokes(certificate);
  }

  /** The list relayed signing certificates are checked against. */
  synchronized Optional<X509CRL> crl() {
    load();
    return current.map(RevocationList::crl);
  }

  private X509Certificate caCertificate() {
    if (caCertificate == null) {
      caCertificate = Pem.readCertificate(caCertificateFile);
    }
    return caCertificate;
  }

  /** The kit's list, if it has one the CA signed; a site without one serves nothing. */
  private void load() {
    if (loaded) {
      return;
    }
    loaded = true;
    if (!Files.isRegularFile(file)) {
      log.warn("{}: the kit holds no revocation list ({})", siteId, file);
      return;
    }
    try {
      current = Optional.of(RevocationList.read(file, caCertificate()));
    } catch (PkiException e) {
      log.warn("{}: the kit's revocation list is unusable: {}", siteId, e.getMessage());
    }
  }
}
