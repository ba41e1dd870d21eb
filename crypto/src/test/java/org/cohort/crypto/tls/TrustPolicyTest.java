package org.cohort.crypto.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.cohort.crypto.pki.ConsortiumCa;
import org.cohort.crypto.pki.ParticipantIdentity;
import org.cohort.crypto.pki.Pem;
import org.cohort.crypto.pki.Role;
import org.cohort.crypto.pki.StartupKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Certificates the CA signed but for another purpose or role are refused by both ends. */
class TrustPolicyTest {
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir static Path root;
  static ConsortiumCa ca;
  static StartupKit coordinator;
  static StartupKit site;
  static Loopback loopback;

  @BeforeAll
  static void provision() {
    ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    coordinator =
        ca.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            root.resolve("coordinator"),
            List.of("localhost", "127.0.0.1"));
    site =
        ca.issue(
            new ParticipantIdentity("hospital-a", Role.SITE),
            root.resolve("hospital-a"),
            List.of());
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

  @ParameterizedTest
  @MethodSource("providers")
  void clientRefusesAServerCertificateOfASiteEvenWithServerUsageAndName(SslProvider provider)
      throws Exception {
    KeyPair keys = p256();
    X509Certificate forged =
        signedByCa(
            "CN=hospital-b,OU=site,O=demo",
            keys,
            KeyPurposeId.id_kp_serverAuth,
            new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
    SslContext impostor =
        SslContextBuilder.forServer(keys.getPrivate(), forged)
            .sslProvider(provider)
            .protocols("TLSv1.3")
            .build();
    try (Loopback.EchoServer server = loopback.server(impostor)) {
      CompletableFuture<String> reply =
          loopback.exchange(
              MutualTls.client(site, site.revocationList(), provider),
              "localhost",
              server.port(),
              "hello");
      await().atMost(PATIENCE).until(reply::isDone);
      assertTrue(reply.isCompletedExceptionally());
      assertTrue(
          mentions(failureOf(reply), "does not belong to the coordinator"),
          () -> chain(failureOf(reply)));
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void serverRefusesTheCoordinatorCertificateAsAClient(SslProvider provider) throws Exception {
    assertRefusedAsClient(
        provider, provider, coordinator.tlsPrivateKey(), coordinator.tlsCertificate(), "client");
  }

  /**
   * The Ed25519 signing certificate has no extended key usage, which the JDK's own checks would
   * accept for TLS: the trust manager refuses it. The client is always the JDK's (BoringSSL's
   * client does not offer Ed25519); a BoringSSL server does not even ask for Ed25519, so the client
   * sends no certificate at all.
   */
  @ParameterizedTest
  @MethodSource("providers")
  void serverRefusesASigningCertificateAsAClient(SslProvider serverProvider) throws Exception {
    PrivateKey signingKey = Pem.readPrivateKey(site.signingPrivateKeyFile());
    assertRefusedAsClient(
        serverProvider,
        SslProvider.JDK,
        signingKey,
        site.signingCertificate(),
        serverProvider == SslProvider.JDK
            ? "not a TLS client certificate"
            : "PEER_DID_NOT_RETURN_A_CERTIFICATE");
  }

  private static void assertRefusedAsClient(
      SslProvider serverProvider,
      SslProvider clientProvider,
      PrivateKey key,
      X509Certificate certificate,
      String reason)
      throws Exception {
    try (Loopback.EchoServer server =
        loopback.server(
            MutualTls.server(coordinator, coordinator.revocationList(), serverProvider))) {
      SslContext client =
          SslContextBuilder.forClient()
              .sslProvider(clientProvider)
              .protocols("TLSv1.3")
              .keyManager(key, certificate)
              .trustManager(coordinator.caCertificate())
              .build();
      CompletableFuture<String> reply =
          loopback.exchange(client, "localhost", server.port(), "hello");
      await().atMost(PATIENCE).until(reply::isDone);
      assertTrue(
          reply.isCompletedExceptionally(), "the server echoed to a client it should refuse");
      assertTrue(server.peers.isEmpty());
      await().atMost(PATIENCE).until(() -> !server.refusals.isEmpty());
      assertTrue(mentions(server.refusals.peek(), reason), () -> chain(server.refusals.peek()));
    }
  }

  private static X509Certificate signedByCa(
      String subject, KeyPair keys, KeyPurposeId usage, GeneralNames names) throws Exception {
    PrivateKey caKey = Pem.readPrivateKey(ca.directory().resolve(ConsortiumCa.PRIVATE_KEY_FILE));
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(77),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plusSeconds(3600)),
                new X500Name(subject),
                SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()))
            .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage))
            .addExtension(Extension.subjectAlternativeName, false, names);
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
  }

  private static KeyPair p256() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    return future.handle((value, failure) -> failure).join();
  }

  private static boolean mentions(Throwable failure, String text) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (String.valueOf(cause.getMessage())
          .toLowerCase(Locale.ROOT)
          .contains(text.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }

  private static String chain(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      text.append(cause).append(" <- ");
    }
    return text.toString();
  }
}
