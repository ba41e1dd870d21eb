package org.cohort.crypto.pki;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;

/**
 * A CRL whose signature has been verified against the consortium CA, with its sequence number
 * (cRLNumber) and validity. Only {@link #verify} and {@link #read} make one, so holding a {@code
 * RevocationList} means the CA signed it.
 */
public final class RevocationList {
  private final X509CRL crl;
  private final BigInteger number;

  private RevocationList(X509CRL crl, BigInteger number) {
    this.crl = crl;
    this.number = number;
  }

  /**
   * Decodes a DER CRL (as relayed on the wire) and checks that {@code ca} signed it.
   *
   * @throws InvalidRevocationListException if it does not parse, is not signed by the CA, or has no
   *     cRLNumber or next-update date
   */
  public static RevocationList verify(byte[] der, X509Certificate ca) {
    X509CRL crl;
    try {
      crl =
          (X509CRL)
              CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new InvalidRevocationListException("revocation list cannot be parsed");
    }
    return verify(crl, ca);
  }

  /** Reads a PEM CRL file and checks that {@code ca} signed it. */
  public static RevocationList read(Path file, X509Certificate ca) {
    return verify(Pem.readCrl(file), ca);
  }

  private static RevocationList verify(X509CRL crl, X509Certificate ca) {
    Objects.requireNonNull(ca, "ca");
    if (crl == null) {
      throw new InvalidRevocationListException("revocation list cannot be parsed");
    }
    try {
      if (!crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
        throw new InvalidRevocationListException("revocation list is not issued by the CA");
      }
      crl.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new InvalidRevocationListException("revocation list is not signed by the CA");
    }
    if (crl.getNextUpdate() == null) {
      throw new InvalidRevocationListException("revocation list has no next-update date");
    }
    return new RevocationList(crl, numberOf(crl));
  }

  static BigInteger numberOf(X509CRL crl) {
    byte[] extension = crl.getExtensionValue(Extension.cRLNumber.getId());
    if (extension == null) {
      throw new InvalidRevocationListException("revocation list has no CRL number");
    }
    try {
      return ASN1Integer.getInstance(ASN1OctetString.getInstance(extension).getOctets()).getValue();
    } catch (IllegalArgumentException e) {
      throw new InvalidRevocationListException("revocation list has a malformed CRL number");
    }
  }

  public X509CRL crl() {
    return crl;
  }

  /** The CA's sequence number of this list: a later list has a higher one. */
  public BigInteger number() {
    return number;
  }

  public Instant nextUpdate() {
    return crl.getNextUpdate().toInstant();
  }

  /**
   * True once the CA's promised next update has passed: the list can no longer vouch for anyone.
   */
  public boolean expiredAt(Instant now) {
    return !now.isBefore(nextUpdate());
  }

  public boolean isNewerThan(RevocationList other) {
    return number.compareTo(other.number) > 0;
  }

  public boolean revokes(X509Certificate certificate) {
    return crl.isRevoked(certificate);
  }

  /** The DER encoding, as relayed to sites. */
  public byte[] encoded() {
    try {
      return crl.getEncoded();
    } catch (CRLException e) {
      throw new PkiException("cannot encode the revocation list", e);
    }
  }

  /** PEM text, as written to a kit. */
  public String pem() {
    return Pem.encode(crl);
  }

  /** Writes the list atomically to {@code file} (a reader sees the old list or the new one). */
  public void writeTo(Path file) {
    SecureFiles.writePublic(file, pem());
  }

  @Override
  public String toString() {
    return "RevocationList[number " + number + ", next update " + nextUpdate() + "]";
  }
}
