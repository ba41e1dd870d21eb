package org.cohort.crypto.pki;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

/** Reading and encoding the PEM files of CA directories and startup kits. */
public final class Pem {
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
    try {
      return new JcaPEMKeyConverter().getPrivateKey(readPrivateKeyInfo(file));
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

  private static CertificateFactory certificateFactory() throws CertificateException {
    return CertificateFactory.getInstance("X.509");
  }
}
