package org.cohort.crypto.pki;

import java.util.Locale;

/** What a participant may do in the consortium; carried in the certificate subject's OU. */
public enum Role {
  COORDINATOR,
  SITE,
  AUDITOR,
  OPERATOR;

  /** The OU value written into certificates: the lowercase role name. */
  public String subjectValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an OU value strictly: only the exact lowercase names of {@link #subjectValue()}. */
  public static Role fromSubjectValue(String value) throws UntrustedPeerException {
    for (Role role : values()) {
      if (role.subjectValue().equals(value)) {
        return role;
      }
    }
    throw new UntrustedPeerException("unknown role in certificate subject: " + printable(value));
  }

  private static String printable(String value) {
    if (value == null) {
      return "<missing>";
    }
    // Peer-controlled text ends up in logs: printable ASCII only, bounded length.
    String shown = value.length() > 32 ? value.substring(0, 32) + "..." : value;
    return "'" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "'";
  }
}
