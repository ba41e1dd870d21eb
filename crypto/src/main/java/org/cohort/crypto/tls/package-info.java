/**
 * Mutual TLS 1.3 for Netty with the consortium's kits ({@link org.cohort.crypto.tls.MutualTls}).
 *
 * <p>Certificate checks run in the JDK's PKIX validator for both providers (BoringSSL through
 * netty-tcnative hands verification to our trust manager): chain to the single consortium CA,
 * validity, key usages, the CRL (CRL only, no OCSP or network fetches, fail closed when the list is
 * missing or expired) and, on clients, the server host name. On top of that the peer must be a
 * well-formed participant, a server must be the coordinator, and the peer's certificate must carry
 * the TLS extended key usage for its side.
 *
 * <p>BoringSSL is preferred when its native library loads: on loopback with 4 MiB messages it moved
 * 1.5-2.4x more bytes per CPU-second than the JDK's SSLEngine (350-470 versus 190-240 MB per
 * CPU-second, both ends counted) and its full mutual handshakes were 5-10x faster (3-5 ms versus
 * 25-65 ms on a heavily loaded 2-core machine); see {@code TlsThroughputBenchmark}.
 */
package org.cohort.crypto.tls;
