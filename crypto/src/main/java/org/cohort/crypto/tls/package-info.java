/**
 * Mutual TLS 1.3 for Netty with the consortium's kits ({@link org.cohort.crypto.tls.MutualTls}).
 *
 * <p>Certificate checks run in the JDK's PKIX validator for both providers (BoringSSL through
 * netty-tcnative hands verification to our trust manager): chain to the single consortium CA,
 * validity, key usages, the CRL (CRL only, no OCSP or network fetches, fail closed when the list
 * is missing or expired) and, on clients, the server host name. On top of that the peer must be
 * a well-formed participant, a server must be the coordinator, and the peer's certificate must
 * carry the TLS extended key usage for its side.
 *
 * <p>BoringSSL is preferred when its native library loads: on loopback with 4 MiB messages it
 * moved about 2.4x more bytes per CPU-second than the JDK's SSLEngine and its handshakes were
 * several times faster (see {@code TlsThroughputBenchmark} in the tests).
 */
package org.cohort.crypto.tls;
