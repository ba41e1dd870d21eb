package org.cohort.crypto.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * The consortium's certificate authority: an ECDSA P-256 key and self-signed certificate in one
 * directory ({@code ca-key.pem} 0600, {@code ca.pem}), an index of every certificate issued ({@code
 * index.tsv}) and a signed revocation list ({@code crl.pem}). The key is written encrypted (PKCS#8,
 * AES-256-CBC, PBKDF2-HMAC-SHA256) when a {@link CaPassphrase} is given; loading such a key needs
 * the same passphrase.
 *
 * <p>Not safe for concurrent use by several processes on one directory (provisioning is an
 * operator's manual step).
 */
public final class ConsortiumCa {
  public static final String PRIVATE_KEY_FILE = "ca-key.pem";
  public static final String CERTIFICATE_FILE = "ca.pem";
  public static final String INDEX_FILE = "index.tsv";
  public static final String REVOCATION_LIST_FILE = "crl.pem";

  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  /** Leaves are renewed (reissued) yearly. */
  public static final Duration LEAF_VALIDITY = Duration.ofDays(397);

  /**
   * Every revoke, reissue or refresh re-signs the list for this long unless told otherwise: short,
   * because a site that cannot get a newer list stops trusting the one it has only when it expires.
   */
  public static final Duration DEFAULT_REVOCATION_LIST_VALIDITY = Duration.ofDays(7);

  /** Back-dating tolerates clocks of peers that are a little behind. */
  private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  private static final String DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  private static final Pattern HOST_NAME = Pattern.compile(DNS_LABEL + "(\\." + DNS_LABEL + ")*");

  private final Path directory;
  private final PrivateKey privateKey;
  private final X509Certificate certificate;
  private final String consortium;
  private final Duration revocationListValidity;
  private final SecureRandom random = new SecureRandom();

  private ConsortiumCa(
      Path directory,
      PrivateKey privateKey,
      X509Certificate certificate,
      String consortium,
      Duration revocationListValidity) {
    this.directory = directory;
    this.privateKey = privateKey;
    this.certificate = certificate;
    this.consortium = consortium;
    this.revocationListValidity = revocationListValidity;
  }

  /** Creates a new CA in {@code caDir} with an unencrypted key (tests and demos). */
  public static ConsortiumCa create(Path caDir, String consortiumName) {
    return create(caDir, consortiumName, Optional.empty(), DEFAULT_REVOCATION_LIST_VALIDITY);
  }

  /**
   * Creates a new CA in {@code caDir} (created 0700 if absent; must not already hold a CA), its key
   * encrypted under {@code passphrase} if one is given, its revocation lists (the first one too)
   * valid for {@code revocationListValidity}.
   */
  public static ConsortiumCa create(
      Path caDir,
      String consortiumName,
      Optional<CaPassphrase> passphrase,
      Duration revocationListValidity) {
    requireValidRevocationListValidity(revocationListValidity);
    if (consortiumName == null || consortiumName.isBlank()) {
      throw new IllegalArgumentException("consortium name must not be blank");
    }
    SecureFiles.createPrivateDirectory(caDir);
    if (Files.exists(caDir.resolve(PRIVATE_KEY_FILE))
        || Files.exists(caDir.resolve(CERTIFICATE_FILE))) {
      throw new PkiException("a CA already exists in " + caDir);
    }
    SecureRandom random = new SecureRandom();
    KeyPair keys = EcKeys.generate(random);
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, consortiumName + " root CA")
            .addRDN(BCStyle.O, consortiumName)
            .build();
    Instant now = Instant.now();
    X509Certificate certificate;
    try {
      SubjectPublicKeyInfo publicKey =
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new X509v3CertificateBuilder(
                  name,
                  randomSerial(random),
                  Date.from(now.minus(CLOCK_SKEW)),
                  Date.from(now.plus(CA_VALIDITY)),
                  name,
                  publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(publicKey));
      certificate =
          new JcaX509CertificateConverter()
              .getCertificate(builder.build(signer(keys.getPrivate())));
    } catch (CertIOException | CertificateException | NoSuchAlgorithmException e) {
      throw new PkiException("cannot create the CA certificate", e);
    }
    PrivateKeyInfo keyInfo = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
    SecureFiles.writePrivate(
        caDir.resolve(PRIVATE_KEY_FILE),
        passphrase.isPresent()
            ? Pem.encodeEncryptedPrivateKey(keyInfo, passphrase.get(), random)
            : Pem.encodePrivateKey(keyInfo));
    SecureFiles.writePublic(caDir.resolve(CERTIFICATE_FILE), Pem.encode(certificate));
    CertificateIndex.write(caDir.resolve(INDEX_FILE), List.of());
    ConsortiumCa ca =
        new ConsortiumCa(
            caDir, keys.getPrivate(), certificate, consortiumName, revocationListValidity);
    ca.writeRevocationList(List.of());
    return ca;
  }

  /** Loads a CA whose key is not encrypted. */
  public static ConsortiumCa load(Path caDir) {
    return load(caDir, Optional.empty());
  }

  /**
   * Loads the CA in {@code caDir}.
   *
   * @param passphrase required if the key is encrypted
   * @throws CaPassphrase.WrongPassphraseException if the key is encrypted and the passphrase does
   *     not open it
   * @throws CaPassphrase.PassphraseRequiredException if the key is encrypted and none is given
   */
  public static ConsortiumCa load(Path caDir, Optional<CaPassphrase> passphrase) {
    X509Certificate certificate = Pem.readCertificate(caDir.resolve(CERTIFICATE_FILE));
    PrivateKey privateKey = Pem.readPrivateKey(caDir.resolve(PRIVATE_KEY_FILE), passphrase);
    EcKeys.requireMatch(
        privateKey, certificate.getPublicKey(), caDir.resolve(PRIVATE_KEY_FILE).toString());
    RDN[] organisation =
        X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.O);
    if (organisation.length != 1) {
      throw new PkiException(
          caDir.resolve(CERTIFICATE_FILE) + " does not name one consortium (O=)");
    }
    // Fail now, not at the first issue or revoke, if the index is unreadable.
    CertificateIndex.read(caDir.resolve(INDEX_FILE));
    String consortium = organisation[0].getFirst().getValue().toString();
    return new ConsortiumCa(
        caDir, privateKey, certificate, consortium, DEFAULT_REVOCATION_LIST_VALIDITY);
  }

  /** The same CA, signing every later revocation list for {@code validity}. */
  public ConsortiumCa withRevocationListValidity(Duration validity) {
    requireValidRevocationListValidity(validity);
    return new ConsortiumCa(directory, privateKey, certificate, consortium, validity);
  }

  private static void requireValidRevocationListValidity(Duration validity) {
    if (validity.compareTo(Duration.ofSeconds(1)) < 0 || validity.compareTo(LEAF_VALIDITY) > 0) {
      throw new IllegalArgumentException(
          "revocation list validity must be between 1 second and "
              + LEAF_VALIDITY.toDays()
              + " days");
    }
  }

  public Duration revocationListValidity() {
    return revocationListValidity;
  }

  /** The CA's current revocation list, its signature checked. */
  public RevocationList revocationList() {
    return RevocationList.read(revocationListFile(), certificate);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public String consortiumName() {
    return consortium;
  }

  public Path directory() {
    return directory;
  }

  public Path revocationListFile() {
    return directory.resolve(REVOCATION_LIST_FILE);
  }

  /** Every certificate issued so far, in issue order. */
  public List<IssuedCertificate> issued() {
    return CertificateIndex.read(directory.resolve(INDEX_FILE));
  }

  /**
   * Issues a startup kit into {@code kitDir} (created 0700; must be absent or empty).
   *
   * @param hostNames for the coordinator only (at least one): the DNS names and IP literals the
   *     coordinator is reached by, and the only ones its certificate names. Must be empty for other
   *     roles.
   * @throws ParticipantAlreadyIssuedException if the CA ever issued certificates for this id
   */
  public StartupKit issue(ParticipantIdentity who, Path kitDir, List<String> hostNames) {
    List<GeneralName> subjectAltNames = subjectAltNames(who.role(), hostNames);
    List<IssuedCertificate> index = issued();
    if (index.stream().anyMatch(entry -> entry.participant().id().equals(who.id()))) {
      throw new ParticipantAlreadyIssuedException(who.id());
    }
    SecureFiles.createPrivateDirectory(kitDir);
    if (!SecureFiles.isEmptyDirectory(kitDir)) {
      throw new PkiException("kit directory is not empty: " + kitDir);
    }
    return issueInto(who, kitDir, subjectAltNames, index);
  }

  /**
   * Replaces a participant's kit (e.g. after a lost key or before expiry): revokes every
   * certificate issued for the id so far, then issues a new kit into {@code kitDir}, replacing its
   * files. The role must be the one the id was first issued with.
   */
  public StartupKit reissue(ParticipantIdentity who, Path kitDir, List<String> hostNames) {
    List<GeneralName> subjectAltNames = subjectAltNames(who.role(), hostNames);
    List<IssuedCertificate> index = issued();
    if (index.stream()
        .anyMatch(
            entry ->
                entry.participant().id().equals(who.id())
                    && entry.participant().role() != who.role())) {
      throw new PkiException("participant '" + who.id() + "' was issued with another role");
    }
    List<IssuedCertificate> revoked = revokeIn(index, who.id());
    CertificateIndex.write(directory.resolve(INDEX_FILE), revoked);
    writeRevocationList(revoked);
    SecureFiles.createPrivateDirectory(kitDir);
    return issueInto(who, kitDir, subjectAltNames, revoked);
  }

  /** Revokes every certificate of the participant and re-signs {@code crl.pem}. */
  public void revoke(String participantId) {
    List<IssuedCertificate> index = issued();
    if (index.stream().noneMatch(entry -> entry.participant().id().equals(participantId))) {
      throw new UnknownParticipantException(participantId);
    }
    List<IssuedCertificate> revoked = revokeIn(index, participantId);
    CertificateIndex.write(directory.resolve(INDEX_FILE), revoked);
    writeRevocationList(revoked);
  }

  /**
   * Re-signs {@code crl.pem} with a fresh next-update date. Peers refuse everyone once the list
   * they hold has expired (fail closed), so an operator refreshes it well within {@link
   * #revocationListValidity()} and hands the new file to the coordinator, which relays it to the
   * sites.
   */
  public void refreshRevocationList() {
    writeRevocationList(issued());
  }

  /**
   * Copies the current {@code crl.pem} into a kit directory. After a revoke, reissue or refresh the
   * coordinator's kit gets the new list: a running coordinator notices the change, closes the
   * connections of revoked sites and relays the list to the others.
   *
   * @return the file written
   */
  public Path publishRevocationList(Path kitDirectory) {
    Path target = kitDirectory.resolve(KitFiles.REVOCATION_LIST);
    SecureFiles.writePublic(target, Pem.encode(Pem.readCrl(revocationListFile())));
    return target;
  }

  /**
   * Checks the coordinator's host names as {@link #issue} would, so that provisioning can refuse
   * bad ones before it creates anything.
   *
   * @throws IllegalArgumentException naming the first bad host name
   */
  public static void requireValidCoordinatorHostNames(List<String> hostNames) {
    subjectAltNames(Role.COORDINATOR, hostNames);
  }

  @Override
  public String toString() {
    return "ConsortiumCa[" + consortium + " in " + directory + "]";
  }

  private StartupKit issueInto(
      ParticipantIdentity who,
      Path kitDir,
      List<GeneralName> subjectAltNames,
      List<IssuedCertificate> index) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, who.id())
            .addRDN(BCStyle.OU, who.role().subjectValue())
            .addRDN(BCStyle.O, consortium)
            .build();
    Instant now = Instant.now();
    Instant notAfter = now.plus(LEAF_VALIDITY);

    KeyPair tlsKeys = EcKeys.generate(random);
    BigInteger tlsSerial = randomSerial(random);
    X509Certificate tlsCertificate =
        issueCertificate(
            subject,
            tlsSerial,
            now,
            notAfter,
            SubjectPublicKeyInfo.getInstance(tlsKeys.getPublic().getEncoded()),
            tlsUsage(who.role()),
            subjectAltNames);

    Ed25519KeyPairGenerator ed25519 = new Ed25519KeyPairGenerator();
    ed25519.init(new Ed25519KeyGenerationParameters(random));
    AsymmetricCipherKeyPair signingKeys = ed25519.generateKeyPair();
    BigInteger signingSerial = randomSerial(random);
    X509Certificate signingCertificate;
    String signingKeyPem;
    try {
      signingCertificate =
          issueCertificate(
              subject,
              signingSerial,
              now,
              notAfter,
              SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(signingKeys.getPublic()),
              Optional.empty(),
              List.of());
      // RFC 8410 v1 encoding (seed only): OpenSSL 3.0 cannot read the v2 form BouncyCastle writes
      // by default.
      byte[] seed = ((Ed25519PrivateKeyParameters) signingKeys.getPrivate()).getEncoded();
      signingKeyPem =
          Pem.encodePrivateKey(
              new PrivateKeyInfo(
                  new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
                  new DEROctetString(seed)));
      Arrays.fill(seed, (byte) 0);
    } catch (IOException e) {
      throw new PkiException("cannot encode the Ed25519 signing key", e);
    }

    // Record the serials before any kit file exists: a kit the index does not know could not be
    // revoked.
    List<IssuedCertificate> updated = new ArrayList<>(index);
    updated.add(
        new IssuedCertificate(
            tlsSerial, who, IssuedCertificate.Purpose.TLS, notAfter, Optional.empty()));
    updated.add(
        new IssuedCertificate(
            signingSerial, who, IssuedCertificate.Purpose.SIGNING, notAfter, Optional.empty()));
    CertificateIndex.write(directory.resolve(INDEX_FILE), updated);

    KitFiles files = KitFiles.in(kitDir);
    SecureFiles.writePrivate(
        files.tlsPrivateKey(),
        Pem.encodePrivateKey(PrivateKeyInfo.getInstance(tlsKeys.getPrivate().getEncoded())));
    SecureFiles.writePublic(files.tlsCertificate(), Pem.encode(tlsCertificate));
    SecureFiles.writePrivate(files.signingPrivateKey(), signingKeyPem);
    SecureFiles.writePublic(files.signingCertificate(), Pem.encode(signingCertificate));
    SecureFiles.writePublic(files.caCertificate(), Pem.encode(certificate));
    SecureFiles.writePublic(files.revocationList(), Pem.encode(Pem.readCrl(revocationListFile())));
    return StartupKit.load(files);
  }

  /** TLS key usage by role: the coordinator serves, everyone else dials in. */
  private static Optional<KeyPurposeId> tlsUsage(Role role) {
    return Optional.of(
        role == Role.COORDINATOR ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth);
  }

  private X509Certificate issueCertificate(
      X500Name subject,
      BigInteger serial,
      Instant now,
      Instant notAfter,
      SubjectPublicKeyInfo publicKey,
      Optional<KeyPurposeId> extendedUsage,
      List<GeneralName> altNames) {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new X509v3CertificateBuilder(
                  issuerName(),
                  serial,
                  Date.from(now.minus(CLOCK_SKEW)),
                  Date.from(notAfter),
                  subject,
                  publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(publicKey))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  extensions.createAuthorityKeyIdentifier(certificate.getPublicKey()));
      if (extendedUsage.isPresent()) {
        builder.addExtension(
            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(extendedUsage.get()));
      }
      if (!altNames.isEmpty()) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(altNames.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer(privateKey)));
    } catch (CertIOException | CertificateException | NoSuchAlgorithmException e) {
      throw new PkiException("cannot issue a certificate for " + subject, e);
    }
  }

  private X500Name issuerName() {
    return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
  }

  private static List<GeneralName> subjectAltNames(Role role, List<String> hostNames) {
    Objects.requireNonNull(hostNames, "hostNames");
    if (role != Role.COORDINATOR) {
      if (!hostNames.isEmpty()) {
        throw new IllegalArgumentException(
            "host names apply only to the coordinator's certificate");
      }
      return List.of();
    }
    if (hostNames.isEmpty()) {
      throw new IllegalArgumentException(
          "the coordinator's certificate needs at least one host name or IP address");
    }
    Set<String> names = new LinkedHashSet<>();
    for (String name : hostNames) {
      names.add(name.trim().toLowerCase(Locale.ROOT));
    }
    List<GeneralName> altNames = new ArrayList<>();
    for (String name : names) {
      if (IPAddress.isValid(name)) {
        altNames.add(new GeneralName(GeneralName.iPAddress, name));
      } else if (name.length() <= 253 && HOST_NAME.matcher(name).matches()) {
        altNames.add(new GeneralName(GeneralName.dNSName, name));
      } else {
        throw new IllegalArgumentException("not a host name or IP address: '" + name + "'");
      }
    }
    return altNames;
  }

  private static List<IssuedCertificate> revokeIn(
      List<IssuedCertificate> index, String participantId) {
    Instant now = Instant.now();
    List<IssuedCertificate> updated = new ArrayList<>(index.size());
    for (IssuedCertificate entry : index) {
      boolean revoke = entry.participant().id().equals(participantId) && !entry.revoked();
      updated.add(revoke ? entry.revokedAt(now) : entry);
    }
    return updated;
  }

  private void writeRevocationList(List<IssuedCertificate> index) {
    Path file = revocationListFile();
    BigInteger number =
        Files.exists(file)
            ? RevocationList.numberOf(Pem.readCrl(file)).add(BigInteger.ONE)
            : BigInteger.ONE;
    Instant now = Instant.now();
    X509v2CRLBuilder builder = new X509v2CRLBuilder(issuerName(), Date.from(now));
    builder.setNextUpdate(Date.from(now.plus(revocationListValidity)));
    for (IssuedCertificate entry : index) {
      entry
          .revokedAt()
          .ifPresent(
              when -> builder.addCRLEntry(entry.serial(), Date.from(when), CRLReason.unspecified));
    }
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.cRLNumber, false, new ASN1Integer(number));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          extensions.createAuthorityKeyIdentifier(certificate.getPublicKey()));
      X509CRLHolder holder = builder.build(signer(privateKey));
      X509CRL crl = new JcaX509CRLConverter().getCRL(holder);
      SecureFiles.writePublic(file, Pem.encode(crl));
    } catch (CertIOException | CRLException | NoSuchAlgorithmException e) {
      throw new PkiException("cannot sign the revocation list", e);
    }
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(EcKeys.SIGNATURE_ALGORITHM).build(key);
    } catch (OperatorCreationException e) {
      throw new PkiException("cannot sign with the CA key", e);
    }
  }

  /** Random positive serial of 128 bits (RFC 5280 allows up to 20 octets). */
  private static BigInteger randomSerial(SecureRandom random) {
    BigInteger serial;
    do {
      serial = new BigInteger(128, random);
    } while (serial.signum() == 0);
    return serial;
  }
}
