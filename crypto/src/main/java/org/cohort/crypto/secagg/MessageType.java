package org.cohort.crypto.secagg;

/** Type tags of the canonical encodings; the first byte of every encoded message. */
enum MessageType {
  ROUND_SETUP(1),
  KEY_ADVERT(2),
  ADVERT_BUNDLE(3),
  SHARE_BUNDLE(4),
  SHARE_DELIVERY(5),
  MASKED_INPUT(6),
  UNMASK_REQUEST(7),
  UNMASK_RESPONSE(8),
  SURVIVOR_SET(9),
  SURVIVOR_SIGNATURE(10);

  static final int FORMAT_VERSION = 1;

  private final int tag;

  MessageType(int tag) {
    this.tag = tag;
  }

  int tag() {
    return tag;
  }
}
