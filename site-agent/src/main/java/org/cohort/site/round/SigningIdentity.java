package org.cohort.site.round;

import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The kit's Ed25519 signing key and certificate (DER), and the trust anchors that relayed signing
 * certificates are checked against.
 */
public record SigningIdentity(
    PrivateKey signingKey,
    byte[] signingCertificate,
    X509Certificate caCertificate,
    Optional<X509CRL> revocationList) {}
