package org.cohort.crypto.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.PkiException;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.pki.UntrustedPeerException;

/**
 * Netty TLS contexts for the consortium: TLS 1.3 only, client certificates required, only the kit's
 * CA trusted, the kit's revocation list honoured, server host names verified by clients, servers
 * must be the coordinator.
 *
 * <p>Clients must create their handler with {@code context.newHandler(alloc, host, port)}: the host
 * is what the server certificate is checked against (without it every handshake fails). In TLS 1.3
 * a client whose certificate the server refuses still completes its handshake; the refusal arrives
 * as an alert on its first read. Servers should call {@link #peerIdentity} once the handshake
 * future succeeds.
 */
public final class MutualTls {
  private static final String TLS_1_3 = "TLSv1.3";

  private MutualTls() {}

  /** BoringSSL (netty-tcnative) when its native library loads here, else the JDK's SSLEngine. */
  public static SslProvider preferredProvider() {
    return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
  }

  public static SslContext server(StartupKit kit) {
    return server(kit, kit.revocationList(), preferredProvider());
  }

  public static SslContext client(StartupKit kit) {
    return client(kit, kit.revocationList(), preferredProvider());
  }

  /**
   * @param revocationList CRL file to honour (re-read when it changes); empty to trust certificates
   *     without revocation checks. Once it has expired every handshake fails.
   */
  public static SslContext server(
      StartupKit kit, Optional<Path> revocationList, SslProvider provider) {
    Objects.requireNonNull(kit, "kit");
    try {
      return SslContextBuilder.forServer(kit.tlsPrivateKey(), kit.tlsCertificate())
          .sslProvider(provider)
          .protocols(TLS_1_3)
          .clientAuth(ClientAuth.REQUIRE)
          .trustManager(
              new ConsortiumTrustManager(
                  kit.caCertificate(), revocationList, ConsortiumTrustManager.Expiry.REFUSE_ALL))
          .build();
    } catch (SSLException e) {
      throw new PkiException("cannot build the TLS server context for " + kit, e);
    }
  }

  /**
   * @param revocationList CRL file to honour (re-read when it changes, so a list the site stores
   *     while running applies from the next handshake); an expired list still refuses the
   *     certificates it names, and the site's policy stops work until it gets a fresh one
   */
  public static SslContext client(
      StartupKit kit, Optional<Path> revocationList, SslProvider provider) {
    Objects.requireNonNull(kit, "kit");
    try {
      return SslContextBuilder.forClient()
          .sslProvider(provider)
          .protocols(TLS_1_3)
          .keyManager(kit.tlsPrivateKey(), kit.tlsCertificate())
          .trustManager(
              new ConsortiumTrustManager(
                  kit.caCertificate(),
                  revocationList,
                  ConsortiumTrustManager.Expiry.CHECKED_BY_CALLER))
          .endpointIdentificationAlgorithm("HTTPS")
          .build();
    } catch (SSLException e) {
      throw new PkiException("cannot build the TLS client context for " + kit, e);
    }
  }

  /**
   * The verified peer's identity, read from its certificate after a successful handshake.
   *
   * @throws UntrustedPeerException if the handshake has not completed or the certificate names no
   *     participant
   */
  public static ParticipantIdentity peerIdentity(SslHandler handler) throws UntrustedPeerException {
    return ParticipantIdentity.fromCertificate(peerCertificate(handler));
  }

  /**
   * The verified peer's leaf certificate after a successful handshake.
   *
   * @throws UntrustedPeerException if the handshake has not completed
   */
  public static X509Certificate peerCertificate(SslHandler handler) throws UntrustedPeerException {
    Certificate[] chain;
    try {
      chain = handler.engine().getSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw new UntrustedPeerException("peer is not verified", e);
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      throw new UntrustedPeerException("peer presented no X.509 certificate");
    }
    return leaf;
  }
}
