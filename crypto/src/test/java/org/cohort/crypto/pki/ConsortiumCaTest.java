package org.cohort.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsortiumCaTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  @TempDir Path root;

  @Test
  void privateKeysAreOwnerOnlyAndDirectoriesPrivate() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit kit = ca.issue(site("hospital-a"), root.resolve("kits/hospital-a"), List.of());
    assertEquals(
        "rw-------", permissions(root.resolve("ca").resolve(ConsortiumCa.PRIVATE_KEY_FILE)));
    assertEquals("rw-------", permissions(kit.files().tlsPrivateKey()));
    assertEquals("rw-------", permissions(kit.files().signingPrivateKey()));
    assertEquals("rwx------", permissions(root.resolve("ca")));
    assertEquals("rwx------", permissions(kit.directory()));
    assertEquals("rw-r--r--", permissions(kit.files().tlsCertificate()));
  }

  @Test
  void siteCertificateIsAClientCertificateWithTheParticipantSubject() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo consortium");
    StartupKit kit = ca.issue(site("hospital-a"), root.resolve("hospital-a"), List.of());
    X509Certificate tls = kit.tlsCertificate();
    tls.verify(ca.certificate().getPublicKey());
    assertEquals(List.of(CLIENT_AUTH), tls.getExtendedKeyUsage());
    assertNull(tls.getSubjectAlternativeNames());
    assertEquals("EC", tls.getPublicKey().getAlgorithm());
    assertTrue(tls.getSubjectX500Principal().getName().contains("O=demo consortium"));
    assertEquals(new ParticipantIdentity("hospital-a", Role.SITE), kit.identity());
    assertTrue(tls.getSerialNumber().bitLength() > 64, "serials are random 128-bit numbers");
    assertEquals(-1, tls.getBasicConstraints());
  }

  @Test
  void signingCertificateIsEd25519ForDigitalSignaturesOnly() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit kit = ca.issue(site("hospital-a"), root.resolve("hospital-a"), List.of());
    X509Certificate signing = kit.signingCertificate();
    signing.verify(ca.certificate().getPublicKey());
    assertTrue(Set.of("Ed25519", "EdDSA").contains(signing.getPublicKey().getAlgorithm()));
    assertTrue(signing.getKeyUsage()[0], "digitalSignature");
    assertNull(signing.getExtendedKeyUsage());
    assertEquals(kit.tlsCertificate().getSubjectX500Principal(), signing.getSubjectX500Principal());
  }

  @Test
  void coordinatorCertificateNamesExactlyItsConfiguredHosts() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit kit =
        ca.issue(
            new ParticipantIdentity("coordinator", Role.COORDINATOR),
            root.resolve("coordinator"),
            List.of("Coord.Example.org", "10.1.2.3", "::1"));
    X509Certificate tls = kit.tlsCertificate();
    assertEquals(List.of(SERVER_AUTH), tls.getExtendedKeyUsage());
    Collection<List<?>> altNames = tls.getSubjectAlternativeNames();
    Set<String> dns =
        altNames.stream()
            .filter(name -> (Integer) name.get(0) == 2)
            .map(name -> (String) name.get(1))
            .collect(Collectors.toSet());
    Set<String> ips =
        altNames.stream()
            .filter(name -> (Integer) name.get(0) == 7)
            .map(name -> (String) name.get(1))
            .collect(Collectors.toSet());
    // Nothing added: a certificate for coord.example.org is not also good for localhost.
    assertEquals(Set.of("coord.example.org"), dns);
    assertEquals(Set.of("10.1.2.3", "0:0:0:0:0:0:0:1"), ips);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ca.issue(
                new ParticipantIdentity("coordinator-2", Role.COORDINATOR),
                root.resolve("coordinator-2"),
                List.of()));
  }

  @Test
  void anEncryptedCaKeyOpensOnlyWithItsPassphrase() throws Exception {
    CaPassphrase passphrase = CaPassphrase.of("correct horse battery".toCharArray());
    ConsortiumCa.create(
        root.resolve("ca"),
        "demo",
        Optional.of(passphrase),
        ConsortiumCa.DEFAULT_REVOCATION_LIST_VALIDITY);
    String pem = Files.readString(root.resolve("ca").resolve(ConsortiumCa.PRIVATE_KEY_FILE));
    assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem);

    assertThrows(
        CaPassphrase.PassphraseRequiredException.class,
        () -> ConsortiumCa.load(root.resolve("ca")));
    assertThrows(
        CaPassphrase.WrongPassphraseException.class,
        () ->
            ConsortiumCa.load(
                root.resolve("ca"), Optional.of(CaPassphrase.of("wrong horse".toCharArray()))));
    ConsortiumCa loaded = ConsortiumCa.load(root.resolve("ca"), Optional.of(passphrase));
    StartupKit kit = loaded.issue(site("hospital-a"), root.resolve("a"), List.of());
    kit.tlsCertificate().verify(loaded.certificate().getPublicKey());
  }

  @Test
  void revocationListsAreNumberedAndValidForTheConfiguredTime() {
    ConsortiumCa ca =
        ConsortiumCa.create(root.resolve("ca"), "demo")
            .withRevocationListValidity(Duration.ofDays(3));
    RevocationList first = ca.revocationList();
    assertEquals(
        ConsortiumCa.DEFAULT_REVOCATION_LIST_VALIDITY,
        Duration.between(first.crl().getThisUpdate().toInstant(), first.nextUpdate()));
    ca.refreshRevocationList();
    RevocationList second = ca.revocationList();
    assertTrue(second.isNewerThan(first));
    assertEquals(
        Duration.ofDays(3),
        Duration.between(second.crl().getThisUpdate().toInstant(), second.nextUpdate()));
    assertThrows(
        IllegalArgumentException.class, () -> ca.withRevocationListValidity(Duration.ofDays(400)));
  }

  @Test
  void invalidHostNamesAndHostNamesForSitesAreRejected() {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    ParticipantIdentity coordinator = new ParticipantIdentity("coordinator", Role.COORDINATOR);
    assertThrows(
        IllegalArgumentException.class,
        () -> ca.issue(coordinator, root.resolve("c"), List.of("bad_host!")));
    assertThrows(
        IllegalArgumentException.class,
        () -> ca.issue(site("hospital-a"), root.resolve("a"), List.of("hospital-a.example")));
    assertFalse(Files.exists(root.resolve("c")), "nothing is written for a refused request");
    assertTrue(ca.issued().isEmpty());
  }

  @Test
  void issuingAnIdAgainIsAnErrorUnlessReissued() {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit first = ca.issue(site("hospital-a"), root.resolve("a1"), List.of());
    assertThrows(
        ParticipantAlreadyIssuedException.class,
        () -> ca.issue(site("hospital-a"), root.resolve("a2"), List.of()));
    assertFalse(Files.exists(root.resolve("a2").resolve(KitFiles.TLS_PRIVATE_KEY)));

    StartupKit second = ca.reissue(site("hospital-a"), root.resolve("a1"), List.of());
    assertFalse(first.tlsCertificate().equals(second.tlsCertificate()));
    X509CRL crl = Pem.readCrl(ca.revocationListFile());
    assertTrue(crl.isRevoked(first.tlsCertificate()));
    assertTrue(crl.isRevoked(first.signingCertificate()));
    assertFalse(crl.isRevoked(second.tlsCertificate()));
  }

  @Test
  void revokeListsEveryCertificateOfTheParticipantAndOnlyThose() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit a = ca.issue(site("hospital-a"), root.resolve("a"), List.of());
    StartupKit b = ca.issue(site("hospital-b"), root.resolve("b"), List.of());
    BigInteger numberBefore = crlNumber(Pem.readCrl(ca.revocationListFile()));

    ca.revoke("hospital-a");

    X509CRL crl = Pem.readCrl(ca.revocationListFile());
    crl.verify(ca.certificate().getPublicKey());
    assertTrue(crl.isRevoked(a.tlsCertificate()));
    assertTrue(crl.isRevoked(a.signingCertificate()));
    assertFalse(crl.isRevoked(b.tlsCertificate()));
    assertEquals(numberBefore.add(BigInteger.ONE), crlNumber(crl));
    assertTrue(crl.getNextUpdate().after(new Date()));
    List<IssuedCertificate> index = ca.issued();
    assertEquals(4, index.size());
    assertEquals(2, index.stream().filter(IssuedCertificate::revoked).count());
    assertThrows(UnknownParticipantException.class, () -> ca.revoke("hospital-z"));
  }

  @Test
  void loadedCaKeepsIssuingUnderTheSameKey() {
    Path caDir = root.resolve("ca");
    ConsortiumCa created = ConsortiumCa.create(caDir, "demo");
    created.issue(site("hospital-a"), root.resolve("a"), List.of());
    ConsortiumCa loaded = ConsortiumCa.load(caDir);
    assertEquals(created.certificate(), loaded.certificate());
    assertEquals("demo", loaded.consortiumName());
    StartupKit b = loaded.issue(site("hospital-b"), root.resolve("b"), List.of());
    assertEquals(created.certificate(), b.caCertificate());
    assertThrows(
        ParticipantAlreadyIssuedException.class,
        () -> loaded.issue(site("hospital-a"), root.resolve("a-again"), List.of()));
  }

  @Test
  void creatingOverAnExistingCaIsRefused() {
    ConsortiumCa.create(root.resolve("ca"), "demo");
    assertThrows(PkiException.class, () -> ConsortiumCa.create(root.resolve("ca"), "demo"));
  }

  @Test
  void kitWithAForeignCertificateDoesNotLoad() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    ConsortiumCa other = ConsortiumCa.create(root.resolve("other"), "demo");
    StartupKit kit = ca.issue(site("hospital-a"), root.resolve("a"), List.of());
    other.issue(site("hospital-a"), root.resolve("foreign"), List.of());
    Files.copy(
        root.resolve("foreign").resolve(KitFiles.TLS_CERTIFICATE),
        kit.files().tlsCertificate(),
        StandardCopyOption.REPLACE_EXISTING);
    assertThrows(PkiException.class, () -> StartupKit.load(kit.directory()));
  }

  @Test
  void kitWithAMismatchedPrivateKeyDoesNotLoad() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(root.resolve("ca"), "demo");
    StartupKit a = ca.issue(site("hospital-a"), root.resolve("a"), List.of());
    StartupKit b = ca.issue(site("hospital-b"), root.resolve("b"), List.of());
    byte[] otherKey = Files.readAllBytes(b.files().tlsPrivateKey());
    Files.write(a.files().tlsPrivateKey(), otherKey);
    PkiException failure = assertThrows(PkiException.class, () -> StartupKit.load(a.directory()));
    assertFalse(failure.getMessage().contains("PRIVATE KEY"), "errors never carry key material");
    assertArrayEquals(otherKey, Files.readAllBytes(a.files().tlsPrivateKey()));
  }

  private static ParticipantIdentity site(String id) {
    return new ParticipantIdentity(id, Role.SITE);
  }

  private static String permissions(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static BigInteger crlNumber(X509CRL crl) {
    byte[] value = crl.getExtensionValue("2.5.29.20");
    return ASN1Integer.getInstance(ASN1OctetString.getInstance(value).getOctets()).getValue();
  }
}
