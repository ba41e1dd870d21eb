package org.cohort.protocol.wire;

/** The wire protocol version this build speaks. Peers must agree on the major version. */
public final class ProtocolVersion {

  public static final int MAJOR = 1;
  public static final int MINOR = 2;

  private ProtocolVersion() {}

  public static String describe(int major, int minor) {
    return major + "." + minor;
  }
}
