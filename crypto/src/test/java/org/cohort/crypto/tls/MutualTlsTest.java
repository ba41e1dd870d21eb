package org.cohort.crypto.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.cohort.crypto.pki.UntrustedPeerException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MutualTlsTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir static Path root;
  static ConsortiumCa ca;
  static StartupKit coordinator;
  static StartupKit hospitalA;
  static StartupKit foreignSite;
  static Loopback loopback;

  @BeforeAll
  static void provision() {
    ca = ConsortiumCa.create(root.resolve("ca"), "test-consortium");
    coordinator =
        ca.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            root.resolve("coordinator"),
            List.of("localhost", "127.0.0.1"));
    hospitalA =
        ca.issue(
            new ParticipantIdentity("hospital-a", Role.SITE),
            root.resolve("hospital-a"),
            List.of());
    ConsortiumCa otherCa = ConsortiumCa.create(root.resolve("other-ca"), "test-consortium");
    foreignSite =
        otherCa.issue(
            new ParticipantIdentity("hospital-a", Role.SITE), root.resolve("foreign"), List.of());
    loopback = new Loopback();
  }

  @AfterAll
  static void stop() {
    loopback.close();
  }

  static Stream<SslProvider> providers() {
    return OpenSsl.isAvailable()
        ? Stream.of(SslProvider.JDK, SslProvider.OPENSSL)
        : Stream.of(SslProvider.JDK);
  }

  @Test
  void boringSslIsAvailableOnLinuxX8664() {
    assumeTrue(
        System.getProperty("os.name").startsWith("Linux")
            && "amd64".equals(System.getProperty("os.arch")));
    assertTrue(
        OpenSsl.isAvailable(),
        () -> "netty-tcnative unavailable: " + OpenSsl.unavailabilityCause());
    assertEquals(SslProvider.OPENSSL, MutualTls.preferredProvider());
  }

  @ParameterizedTest
  @MethodSource("providers")
  void validKitsExchangeAMessageAndTheServerSeesTheSiteIdentity(SslProvider provider)
      throws Exception {
    try (Loopback.EchoServer server = loopback.server(serverContext(coordinator, provider))) {
      CompletableFuture<String> reply =
          loopback.exchange(
              clientContext(hospitalA, provider), "localhost", server.port(), "hello");
      assertEquals("hello", reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      await().atMost(PATIENCE).until(() -> !server.peers.isEmpty());
      assertEquals(new ParticipantIdentity("hospital-a", Role.SITE), server.peers.peek());
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void serverCertificateCoversTheLoopbackAddressToo(SslProvider provider) throws Exception {
    try (Loopback.EchoServer server = loopback.server(serverContext(coordinator, provider))) {
      CompletableFuture<String> reply =
          loopback.exchange(
              clientContext(hospitalA, provider), "127.0.0.1", server.port(), "by address");
      assertEquals("by address", reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void clientWithCertificateFromAnotherCaIsRefused(SslProvider provider) throws Exception {
    try (Loopback.EchoServer server = loopback.server(serverContext(coordinator, provider))) {
      // The foreign kit trusts our CA (so only the server's check can fail) but its own certificate
      // is foreign.
      SslContext client =
          SslContextBuilder.forClient()
              .sslProvider(provider)
              .protocols("TLSv1.3")
              .keyManager(foreignSite.tlsPrivateKey(), foreignSite.tlsCertificate())
              .trustManager(coordinator.caCertificate())
              .build();
      assertRefused(
          server, loopback.exchange(client, "localhost", server.port(), "hello"), "trust anchors");
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void clientWithoutCertificateIsRefused(SslProvider provider) throws Exception {
    try (Loopback.EchoServer server = loopback.server(serverContext(coordinator, provider))) {
      SslContext client =
          SslContextBuilder.forClient()
              .sslProvider(provider)
              .protocols("TLSv1.3")
              .trustManager(coordinator.caCertificate())
              .build();
      assertRefused(
          server, loopback.exchange(client, "localhost", server.port(), "hello"), "certificate");
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void revokedClientIsRefusedWithoutRestartingTheServer(SslProvider provider, @TempDir Path scratch)
      throws Exception {
    ConsortiumCa ownCa = ConsortiumCa.create(scratch.resolve("ca"), "revocation-consortium");
    StartupKit server =
        ownCa.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            scratch.resolve("coordinator"),
            List.of("localhost", "127.0.0.1"));
    StartupKit site =
        ownCa.issue(
            new ParticipantIdentity("hospital-r", Role.SITE), scratch.resolve("site"), List.of());
    StartupKit otherSite =
        ownCa.issue(
            new ParticipantIdentity("hospital-s", Role.SITE),
            scratch.resolve("other-site"),
            List.of());
    try (Loopback.EchoServer echo = loopback.server(serverContext(server, provider))) {
      assertEquals(
          "before",
          loopback
              .exchange(clientContext(site, provider), "localhost", echo.port(), "before")
              .get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      echo.peers.clear();

      ownCa.revoke("hospital-r");
      Files.copy(
          ownCa.revocationListFile(),
          server.files().revocationList(),
          StandardCopyOption.REPLACE_EXISTING);

      assertRefused(
          echo,
          loopback.exchange(clientContext(site, provider), "localhost", echo.port(), "after"),
          "revoked");
      assertEquals(
          "still",
          loopback
              .exchange(clientContext(otherSite, provider), "localhost", echo.port(), "still")
              .get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void revokedClientIsRefusedWithAnExplicitRevocationList(
      SslProvider provider, @TempDir Path scratch) throws Exception {
    ConsortiumCa ownCa = ConsortiumCa.create(scratch.resolve("ca"), "revocation-consortium");
    StartupKit server =
        ownCa.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            scratch.resolve("coordinator"),
            List.of("localhost", "127.0.0.1"));
    StartupKit site =
        ownCa.issue(
            new ParticipantIdentity("hospital-r", Role.SITE), scratch.resolve("site"), List.of());
    ownCa.revoke("hospital-r");
    SslContext serverContext =
        MutualTls.server(server, Optional.of(ownCa.revocationListFile()), provider);
    try (Loopback.EchoServer echo = loopback.server(serverContext)) {
      assertRefused(
          echo,
          loopback.exchange(clientContext(site, provider), "localhost", echo.port(), "hello"),
          "revoked");
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void expiredOrMissingRevocationListFailsClosed(SslProvider provider, @TempDir Path scratch)
      throws Exception {
    ConsortiumCa ownCa = ConsortiumCa.create(scratch.resolve("ca"), "revocation-consortium");
    StartupKit server =
        ownCa.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            scratch.resolve("coordinator"),
            List.of("localhost", "127.0.0.1"));
    StartupKit site =
        ownCa.issue(
            new ParticipantIdentity("hospital-a", Role.SITE), scratch.resolve("site"), List.of());
    try (Loopback.EchoServer echo = loopback.server(serverContext(server, provider))) {
      writeExpiredRevocationList(ownCa, server.files().revocationList());
      assertRefused(
          echo,
          loopback.exchange(clientContext(site, provider), "localhost", echo.port(), "hello"),
          "revocation");

      echo.refusals.clear();
      Files.delete(server.files().revocationList());
      assertRefused(
          echo,
          loopback.exchange(clientContext(site, provider), "localhost", echo.port(), "hello"),
          "missing");
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void clientExpectingAnotherServerNameFailsHostnameVerification(SslProvider provider)
      throws Exception {
    try (Loopback.EchoServer server = loopback.server(serverContext(coordinator, provider))) {
      CompletableFuture<String> reply =
          loopback.exchange(
              clientContext(hospitalA, provider),
              "coordinator.other.example",
              server.port(),
              "hello");
      ExecutionException failure =
          assertThrows(
              ExecutionException.class, () -> reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
      assertTrue(causeChainMentions(failure, "coordinator.other.example"), () -> describe(failure));
      assertTrue(server.peers.isEmpty());
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void clientRefusesAServerThatIsNotTheCoordinator(SslProvider provider) throws Exception {
    // A site's certificate has no serverAuth usage and no SAN: a site cannot impersonate the
    // coordinator.
    SslContext impostor =
        SslContextBuilder.forServer(hospitalA.tlsPrivateKey(), hospitalA.tlsCertificate())
            .sslProvider(provider)
            .protocols("TLSv1.3")
            .build();
    try (Loopback.EchoServer server = loopback.server(impostor)) {
      CompletableFuture<String> reply =
          loopback.exchange(
              clientContext(hospitalA, provider), "localhost", server.port(), "hello");
      assertThrows(
          ExecutionException.class, () -> reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @Test
  void peerIdentityOfAnUnfinishedHandshakeIsUntrusted() throws Exception {
    SslContext context = clientContext(hospitalA, MutualTls.preferredProvider());
    SslHandler handler = context.newHandler(ByteBufAllocator.DEFAULT, "localhost", 7443);
    try {
      assertThrows(UntrustedPeerException.class, () -> MutualTls.peerIdentity(handler));
    } finally {
      ReferenceCountUtil.release(handler.engine());
    }
  }

  private static void assertRefused(
      Loopback.EchoServer server, CompletableFuture<String> reply, String reason) {
    await().atMost(PATIENCE).until(reply::isDone);
    assertTrue(
        reply.isCompletedExceptionally(), "a refused client must not get its message echoed");
    await().atMost(PATIENCE).until(() -> !server.refusals.isEmpty());
    Throwable refusal = server.refusals.peek();
    assertTrue(causeChainMentions(refusal, reason), () -> describe(refusal));
    assertTrue(server.peers.isEmpty(), "the server accepted " + server.peers);
  }

  /** A CRL the CA signed correctly whose next update is already past. */
  private static void writeExpiredRevocationList(ConsortiumCa ca, Path file) throws Exception {
    Instant now = Instant.now();
    X509v2CRLBuilder builder =
        new X509v2CRLBuilder(
            X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
            Date.from(now.minus(Duration.ofDays(2))));
    builder.setNextUpdate(Date.from(now.minus(Duration.ofDays(1))));
    PrivateKey caKey = Pem.readPrivateKey(ca.directory().resolve(ConsortiumCa.PRIVATE_KEY_FILE));
    X509CRL crl =
        new JcaX509CRLConverter()
            .getCRL(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
    try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(file))) {
      writer.writeObject(crl);
    }
  }

  private static boolean causeChainMentions(Throwable failure, String text) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (String.valueOf(cause.getMessage())
          .toLowerCase(Locale.ROOT)
          .contains(text.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      text.append(cause).append(" <- ");
    }
    return text.toString();
  }

  private static SslContext serverContext(StartupKit kit, SslProvider provider) {
    return MutualTls.server(kit, kit.revocationList(), provider);
  }

  private static SslContext clientContext(StartupKit kit, SslProvider provider) {
    return MutualTls.client(kit, kit.revocationList(), provider);
  }
}
