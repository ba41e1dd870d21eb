package org.cohort.crypto.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParticipantIdentityTest {
  private static final KeyPair KEYS = EcKeys.generate(new SecureRandom());

  @Test
  void wellFormedSubjectGivesIdAndRole() throws Exception {
    X509Certificate certificate = certificate(subject("hospital-a", "site", "demo"));
    assertEquals(
        new ParticipantIdentity("hospital-a", Role.SITE),
        ParticipantIdentity.fromCertificate(certificate));
  }

  @Test
  void everyRoleRoundTripsThroughItsSubjectValue() throws Exception {
    for (Role role : Role.values()) {
      X509Certificate certificate = certificate(subject("p-1", role.subjectValue(), "demo"));
      assertEquals(role, ParticipantIdentity.fromCertificate(certificate).role());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Site", "SITE", "site ", "hospital", ""})
  void unknownOrNonCanonicalRoleIsRejected(String role) throws Exception {
    X509Certificate certificate = certificate(subject("hospital-a", role, "demo"));
    assertThrows(
        UntrustedPeerException.class, () -> ParticipantIdentity.fromCertificate(certificate));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Hospital-A",
        "hospital_a",
        "hospital a",
        "hospital.a",
        "",
        "a123456789012345678901234567890123456789012345678901234567890123"
      })
  void malformedIdIsRejected(String id) throws Exception {
    X509Certificate certificate = certificate(subject(id, "site", "demo"));
    assertThrows(
        UntrustedPeerException.class, () -> ParticipantIdentity.fromCertificate(certificate));
  }

  @Test
  void missingRoleIsRejected() throws Exception {
    X500Name noRole =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, "hospital-a")
            .addRDN(BCStyle.O, "demo")
            .build();
    assertThrows(
        UntrustedPeerException.class,
        () -> ParticipantIdentity.fromCertificate(certificate(noRole)));
  }

  @Test
  void duplicatedCommonNameIsRejected() throws Exception {
    X500Name twoNames =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, "hospital-a")
            .addRDN(BCStyle.CN, "hospital-b")
            .addRDN(BCStyle.OU, "site")
            .build();
    assertThrows(
        UntrustedPeerException.class,
        () -> ParticipantIdentity.fromCertificate(certificate(twoNames)));
  }

  @Test
  void extraAttributeIsRejected() throws Exception {
    X500Name extra =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, "hospital-a")
            .addRDN(BCStyle.OU, "site")
            .addRDN(BCStyle.O, "demo")
            .addRDN(BCStyle.C, "CH")
            .build();
    assertThrows(
        UntrustedPeerException.class,
        () -> ParticipantIdentity.fromCertificate(certificate(extra)));
  }

  @Test
  void multiValuedComponentIsRejected() throws Exception {
    X500Name multi =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addMultiValuedRDN(
                new AttributeTypeAndValue[] {
                  new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("hospital-a")),
                  new AttributeTypeAndValue(BCStyle.OU, new DERUTF8String("site"))
                })
            .addRDN(BCStyle.O, "demo")
            .addRDN(BCStyle.L, "x")
            .build();
    assertThrows(
        UntrustedPeerException.class,
        () -> ParticipantIdentity.fromCertificate(certificate(multi)));
  }

  @Test
  void missingCertificateIsRejected() {
    assertThrows(UntrustedPeerException.class, () -> ParticipantIdentity.fromCertificate(null));
  }

  @Test
  void constructorEnforcesIdSyntax() {
    assertThrows(IllegalArgumentException.class, () -> new ParticipantIdentity("Bad!", Role.SITE));
    assertTrue(ParticipantIdentity.isValidId("a"));
    assertTrue(ParticipantIdentity.isValidId("a".repeat(63)));
    assertFalse(ParticipantIdentity.isValidId("a".repeat(64)));
  }

  private static X500Name subject(String id, String role, String organisation) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, id)
        .addRDN(BCStyle.OU, role)
        .addRDN(BCStyle.O, organisation)
        .build();
  }

  /** Self-signed: only the subject matters to the parser. */
  private static X509Certificate certificate(X500Name subject) throws Exception {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
            subject,
            BigInteger.TEN,
            Date.from(now),
            Date.from(now.plusSeconds(3600)),
            subject,
            SubjectPublicKeyInfo.getInstance(KEYS.getPublic().getEncoded()));
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(KEYS.getPrivate())));
  }
}
