package org.cohort.crypto.pki;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemGenerationException;
import org.bouncycastle.util.io.pem.PemObject;

/** Reading and encoding the PEM files of CA directories and startup kits. */
public final class Pem {
  /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  private static final int PBKDF2_ITERATIONS = 600_000;

  private static final BouncyCastleProvider BOUNCY_CASTLE = new BouncyCastleProvider();

  private Pem() {}

  public static X509Certificate readCertificate(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) certificateFactory().generateCertificate(in);
    } catch (IOException | CertificateException e) {
      throw new PkiException("cannot read certificate " + file, e);
    }
  }

  public static X509CRL readCrl(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509CRL) certificateFactory().generateCRL(in);
    } catch (IOException | CertificateException | CRLException e) {
      throw new PkiException("cannot read revocation list " + file, e);
    }
  }

  /** An unencrypted PKCS#8 private key ("BEGIN PRIVATE KEY"). Errors never include key bytes. */
  public static PrivateKeyInfo readPrivateKeyInfo(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object parsed = parser.readObject();
      if (parsed instanceof PrivateKeyInfo info) {
        return info;
      }
      throw new PkiException("not an unencrypted PKCS#8 private key: " + file);
    } catch (IOException e) {
      throw new PkiException("cannot read private key " + file, e);
    }
  }

  /**
   * A PKCS#8 private key as a JDK key (so both the JDK and the OpenSSL TLS providers accept it).
   */
  public static PrivateKey readPrivateKey(Path file) {
    return toJdkKey(readPrivateKeyInfo(file), file);
  }

  /**
   * A PKCS#8 private key, plain or encrypted ("BEGIN ENCRYPTED PRIVATE KEY"); an encrypted one is
   * opened with {@code passphrase}.
   */
  static PrivateKey readPrivateKey(Path file, Optional<CaPassphrase> passphrase) {
    Object parsed;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      parsed = parser.readObject();
    } catch (IOException e) {
      throw new PkiException("cannot read private key " + file, e);
    }
    if (parsed instanceof PrivateKeyInfo info) {
      return toJdkKey(info, file);
    }
    if (!(parsed instanceof PKCS8EncryptedPrivateKeyInfo encrypted)) {
      throw new PkiException("not a PKCS#8 private key: " + file);
    }
    if (passphrase.isEmpty()) {
      throw new CaPassphrase.PassphraseRequiredException(file);
    }
    try {
      InputDecryptorProvider decryptor =
          new JceOpenSSLPKCS8DecryptorProviderBuilder()
              .setProvider(BOUNCY_CASTLE)
              .build(passphrase.get().characters());
      return toJdkKey(encrypted.decryptPrivateKeyInfo(decryptor), file);
    } catch (OperatorCreationException | PKCSException e) {
      // The cause is dropped on purpose: it says nothing useful and may quote key bytes.
      throw new CaPassphrase.WrongPassphraseException(file);
    }
  }

  private static PrivateKey toJdkKey(PrivateKeyInfo info, Path file) {
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException e) {
      throw new PkiException("unsupported private key in " + file, e);
    }
  }

  /** PEM text of a certificate, CRL or BouncyCastle PEM object. */
  static String encode(Object object) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new PkiException("cannot encode " + object.getClass().getSimpleName() + " as PEM", e);
    }
    return text.toString();
  }

  static String encodePrivateKey(PrivateKeyInfo key) {
    try {
      return encode(new PemObject("PRIVATE KEY", key.getEncoded()));
    } catch (IOException e) {
      throw new PkiException("cannot encode private key", e);
    }
  }

  /** PKCS#8 encrypted with AES-256-CBC under a PBKDF2-HMAC-SHA256 key (600,000 iterations). */
  static String encodeEncryptedPrivateKey(
      PrivateKeyInfo key, CaPassphrase passphrase, SecureRandom random) {
    try {
      OutputEncryptor encryptor =
          new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
              .setProvider(BOUNCY_CASTLE)
              .setPRF(PKCS8Generator.PRF_HMACSHA256)
              .setIterationCount(PBKDF2_ITERATIONS)
              .setRandom(random)
              .setPassword(passphrase.characters())
              .build();
      return encode(new PKCS8Generator(key, encryptor).generate());
    } catch (OperatorCreationException | PemGenerationException e) {
      throw new PkiException("cannot encrypt the private key");
    }
  }

  private static CertificateFactory certificateFactory() throws CertificateException {
    return CertificateFactory.getInstance("X.509");
  }
}
