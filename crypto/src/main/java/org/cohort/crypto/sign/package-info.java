/**
 * Ed25519 signatures (BouncyCastle) for secure-aggregation key adverts and privacy-ledger records:
 * {@link org.cohort.crypto.sign.SigningKey} from a participant's kit, {@link
 * org.cohort.crypto.sign.VerificationKey} only from a signing certificate the consortium CA issued.
 * Callers sign an unambiguous encoding of what they mean (e.g. a serialized protobuf with the
 * federation id and round), never a concatenation of variable-length fields.
 */
package org.cohort.crypto.sign;
