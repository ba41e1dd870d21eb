/**
 * The consortium's identities: a small certificate authority and startup kits. The operator's
 * {@code provision} CLI that drives them (and writes the kits' starter configs) is {@code
 * org.cohort.provisioning.ProvisionCommand}.
 *
 * <h2>Files</h2>
 *
 * <pre>
 * DIR/ca/    ca-key.pem (0600, ECDSA P-256, PKCS#8)  ca.pem  index.tsv  crl.pem  federation.yaml
 * DIR/kits/&lt;id&gt;/ (0700)
 *            tls-key.pem (0600)  tls-cert.pem         ECDSA P-256, for mutual TLS
 *            signing-key.pem (0600)  signing-cert.pem Ed25519, for key adverts and ledger records
 *            ca.pem  crl.pem  coordinator.yaml | site.yaml | auditor.yaml
 * </pre>
 *
 * <h2>Certificates</h2>
 *
 * Subject {@code CN=<id>, OU=<role in lowercase>, O=<consortium>}; {@link
 * org.cohort.crypto.pki.ParticipantIdentity#fromCertificate} accepts exactly that shape. TLS
 * certificates carry one extended key usage: serverAuth for the coordinator (with SANs for its host
 * names plus localhost and 127.0.0.1), clientAuth for everyone else, so a site cannot pose as the
 * coordinator and the coordinator's key cannot log in as a site. Signing certificates have keyUsage
 * digitalSignature and no extended key usage; the TLS trust manager refuses them. Serials are 128
 * random bits. Leaves and the CRL are valid for {@link
 * org.cohort.crypto.pki.ConsortiumCa#LEAF_VALIDITY}; renew with {@code provision reissue} and
 * {@code provision refresh-crl}.
 *
 * <h2>Lifecycle</h2>
 *
 * {@code provision init} creates the CA and all kits; {@code add-site} issues one more kit under
 * the same CA key (other kits stay valid and unchanged); {@code revoke} and {@code reissue} re-sign
 * the CRL and copy it into the coordinator's kit, where a running coordinator picks it up on the
 * next handshake. Issuing an id twice is refused unless it is an explicit reissue, which revokes
 * the old certificates first.
 */
package org.cohort.crypto.pki;
