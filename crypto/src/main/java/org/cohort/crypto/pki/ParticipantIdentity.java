package org.cohort.crypto.pki;

import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Who a peer is: the participant id and role from its consortium certificate (subject {@code
 * CN=<id>, OU=<role>, O=<consortium>}). Never taken from what a peer says.
 */
public record ParticipantIdentity(String id, Role role) {
  /**
   * 1..63 characters, lowercase letters, digits and '-', not starting with '-': safe in logs (no
   * control characters or line breaks), in file names (no '/' or '.') and on command lines.
   */
  /** The id rule in words, for error messages (which never quote the refused id). */
  public static final String ID_RULE =
      "1..63 lowercase letters, digits or '-', not starting with '-'";

  private static final Pattern ID_SYNTAX = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  public ParticipantIdentity {
    Objects.requireNonNull(role, "role");
    if (!isValidId(id)) {
      throw new IllegalArgumentException("participant id must be " + ID_RULE);
    }
  }

  /** Whether {@code id} is a valid participant id (see the class's alphabet). */
  public static boolean isValidId(String id) {
    return id != null && ID_SYNTAX.matcher(id).matches();
  }

  /**
   * Reads the identity from a certificate subject. The subject must consist of exactly one CN, one
   * OU and one O, each single-valued; the CN must be a valid id and the OU a known role. Does not
   * check the signature or validity: do that first (the TLS trust manager does).
   */
  public static ParticipantIdentity fromCertificate(X509Certificate certificate)
      throws UntrustedPeerException {
    if (certificate == null) {
      throw new UntrustedPeerException("no peer certificate");
    }
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    String id = null;
    String role = null;
    String organisation = null;
    RDN[] rdns = subject.getRDNs();
    if (rdns.length != 3) {
      throw new UntrustedPeerException("certificate subject must have exactly CN, OU and O");
    }
    for (RDN rdn : rdns) {
      if (rdn.isMultiValued()) {
        throw new UntrustedPeerException("certificate subject has a multi-valued component");
      }
      AttributeTypeAndValue attribute = rdn.getFirst();
      ASN1ObjectIdentifier type = attribute.getType();
      String value = stringValue(attribute.getValue());
      if (BCStyle.CN.equals(type) && id == null) {
        id = value;
      } else if (BCStyle.OU.equals(type) && role == null) {
        role = value;
      } else if (BCStyle.O.equals(type) && organisation == null) {
        organisation = value;
      } else {
        throw new UntrustedPeerException("certificate subject must have exactly CN, OU and O");
      }
    }
    if (organisation == null || organisation.isEmpty()) {
      throw new UntrustedPeerException("certificate subject has an empty organisation");
    }
    if (!isValidId(id)) {
      throw new UntrustedPeerException("certificate subject CN is not a valid participant id");
    }
    return new ParticipantIdentity(id, Role.fromSubjectValue(role));
  }

  private static String stringValue(ASN1Encodable value) throws UntrustedPeerException {
    if (value instanceof ASN1String string) {
      return string.getString();
    }
    throw new UntrustedPeerException("certificate subject has a non-string component");
  }

  @Override
  public String toString() {
    return role.subjectValue() + ":" + id;
  }
}
