package org.cohort.crypto.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.RevocationList;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.UntrustedPeerException;

/**
 * Trusts exactly one consortium CA and, if given, its revocation list; on top of the JDK's PKIX
 * validation (chain, validity, key usages, CRL, and the server host name when the engine asks for
 * it) it requires that the peer certificate names a participant, and that a server is the
 * coordinator.
 *
 * <p>The JDK validator does the certificate work for both TLS providers: Netty hands BoringSSL's
 * verification to this trust manager. The CRL file is re-read when its modification time or size
 * changes, so a revocation takes effect on the next handshake without a restart. A CRL file that
 * was configured but has disappeared fails every handshake (fail closed). An expired one fails
 * every handshake too under {@link Expiry#REFUSE_ALL} (the coordinator); under {@link
 * Expiry#CHECKED_BY_CALLER} (a site) its entries are still applied but its age is left to the
 * caller, so that a site can still reach the coordinator that relays it a fresh list and refuses to
 * work until then.
 */
final class ConsortiumTrustManager extends X509ExtendedTrustManager {

  /** What an expired revocation list does to handshakes. */
  enum Expiry {
    REFUSE_ALL,
    CHECKED_BY_CALLER
  }

  private final X509Certificate caCertificate;
  private final Optional<Path> revocationList;
  private final Expiry expiry;
  private volatile Snapshot snapshot;

  /** Identifies a version of the CRL file; the file is re-read when this changes. */
  private record FileStamp(FileTime modified, long size) {
    static final FileStamp NONE = new FileStamp(FileTime.fromMillis(0), -1);
  }

  /**
   * @param ownCheck the list to apply after PKIX validation, under {@link Expiry#CHECKED_BY_CALLER}
   */
  private record Snapshot(
      FileStamp stamp, X509ExtendedTrustManager delegate, Optional<RevocationList> ownCheck) {
    void requireNotRevoked(X509Certificate[] chain) throws CertificateException {
      if (ownCheck.isPresent() && ownCheck.get().revokes(chain[0])) {
        throw new UntrustedPeerException("peer certificate has been revoked");
      }
    }
  }

  ConsortiumTrustManager(
      X509Certificate caCertificate, Optional<Path> revocationList, Expiry expiry) {
    this.caCertificate = caCertificate;
    this.revocationList = revocationList;
    this.expiry = expiry;
    try {
      this.snapshot = load();
    } catch (CertificateException e) {
      throw new PkiException("cannot build the consortium trust manager: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkClientTrusted(chain, authType);
    current.requireNotRevoked(chain);
    requireParticipant(chain, false);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkClientTrusted(chain, authType, socket);
    current.requireNotRevoked(chain);
    requireParticipant(chain, false);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkClientTrusted(chain, authType, engine);
    current.requireNotRevoked(chain);
    requireParticipant(chain, false);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkServerTrusted(chain, authType);
    current.requireNotRevoked(chain);
    requireParticipant(chain, true);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkServerTrusted(chain, authType, socket);
    current.requireNotRevoked(chain);
    requireParticipant(chain, true);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    Snapshot current = current();
    current.delegate().checkServerTrusted(chain, authType, engine);
    current.requireNotRevoked(chain);
    requireParticipant(chain, true);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {caCertificate};
  }

  /**
   * EKU is required explicitly: the JDK accepts a certificate without the extension for any
   * purpose, which would let an Ed25519 signing certificate authenticate TLS.
   */
  private static void requireParticipant(X509Certificate[] chain, boolean server)
      throws CertificateException {
    X509Certificate leaf = chain[0];
    String purpose = server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2";
    List<String> usages = leaf.getExtendedKeyUsage();
    if (usages == null || !usages.contains(purpose)) {
      throw new UntrustedPeerException(
          "peer certificate is not a TLS " + (server ? "server" : "client") + " certificate");
    }
    ParticipantIdentity peer = ParticipantIdentity.fromCertificate(leaf);
    if (server && peer.role() != Role.COORDINATOR) {
      throw new UntrustedPeerException("server certificate does not belong to the coordinator");
    }
    if (!server && peer.role() == Role.COORDINATOR) {
      throw new UntrustedPeerException(
          "the coordinator's certificate cannot authenticate a client");
    }
  }

  private Snapshot current() throws CertificateException {
    Snapshot seen = snapshot;
    if (revocationList.isEmpty() || seen.stamp().equals(stamp(revocationList.get()))) {
      return seen;
    }
    synchronized (this) {
      if (!snapshot.stamp().equals(stamp(revocationList.get()))) {
        snapshot = load();
      }
      return snapshot;
    }
  }

  private static FileStamp stamp(Path file) throws CertificateException {
    try {
      if (!Files.isRegularFile(file)) {
        throw new CertificateException("revocation list " + file + " is missing");
      }
      return new FileStamp(Files.getLastModifiedTime(file), Files.size(file));
    } catch (IOException e) {
      throw new CertificateException("cannot read revocation list " + file, e);
    }
  }

  private Snapshot load() throws CertificateException {
    try {
      PKIXBuilderParameters parameters =
          new PKIXBuilderParameters(Set.of(new TrustAnchor(caCertificate, null)), null);
      parameters.setRevocationEnabled(false);
      FileStamp stamp = FileStamp.NONE;
      Optional<RevocationList> ownCheck = Optional.empty();
      if (revocationList.isPresent() && expiry == Expiry.CHECKED_BY_CALLER) {
        stamp = stamp(revocationList.get());
        ownCheck = Optional.of(RevocationList.read(revocationList.get(), caCertificate));
      } else if (revocationList.isPresent()) {
        Path file = revocationList.get();
        // Stamp before reading: a write that races with the read is picked up next time.
        stamp = stamp(file);
        X509CRL crl = Pem.readCrl(file);
        crl.verify(caCertificate.getPublicKey());
        parameters.addCertStore(
            CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl))));
        // CRL only: no OCSP, no fetching from distribution points, no soft failure.
        PKIXRevocationChecker revocation =
            (PKIXRevocationChecker) CertPathBuilder.getInstance("PKIX").getRevocationChecker();
        revocation.setOptions(
            EnumSet.of(
                PKIXRevocationChecker.Option.PREFER_CRLS,
                PKIXRevocationChecker.Option.NO_FALLBACK));
        parameters.addCertPathChecker(revocation);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(new CertPathTrustManagerParameters(parameters));
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509ExtendedTrustManager extended) {
          return new Snapshot(stamp, extended, ownCheck);
        }
      }
      throw new CertificateException("the JDK offers no X509ExtendedTrustManager");
    } catch (PkiException e) {
      throw new CertificateException(
          "cannot load revocation list " + revocationList.orElseThrow(), e);
    } catch (GeneralSecurityException e) {
      if (e instanceof CertificateException certificateException) {
        throw certificateException;
      }
      throw new CertificateException("cannot build the PKIX trust manager", e);
    }
  }
}
