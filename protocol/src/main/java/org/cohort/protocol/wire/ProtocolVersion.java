package org.cohort.protocol.wire;

/**
 * The wire protocol version this build speaks. Peers must agree on the major version. 2.0: secure
 * rounds carry metric count slots in the masked vector (and a different round setup encoding).
 */
public final class ProtocolVersion {

  public static final int MAJOR = 2;
  public static final int MINOR = 0;

  private ProtocolVersion() {}

  public static String describe(int major, int minor) {
    return major + "." + minor;
  }
}
