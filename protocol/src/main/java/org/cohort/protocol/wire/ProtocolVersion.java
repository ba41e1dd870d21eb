package org.cohort.protocol.wire;

/**
 * The wire protocol version this build speaks. Peers must agree on the major version. 2.0: secure
 * rounds carry metric count slots in the masked vector (and a different round setup encoding). 3.0:
 * round tasks carry differential-privacy settings that a site must honour (an older site would
 * ignore them and send un-noised updates), and the round setup encodes the input encoding.
 */
public final class ProtocolVersion {

  public static final int MAJOR = 3;
  public static final int MINOR = 0;

  private ProtocolVersion() {}

  public static String describe(int major, int minor) {
    return major + "." + minor;
  }
}
