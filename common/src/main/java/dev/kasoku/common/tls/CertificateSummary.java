package dev.kasoku.common.tls;

import java.time.Instant;
import java.util.List;

/**
 * What the API shows of a site's certificate: enough to recognise it and see when it expires,
 * never the private key.
 *
 * @param subject the leaf's subject DN (RFC 2253)
 * @param issuer the leaf's issuer DN
 * @param subjectAltNames the leaf's DNS subject alternative names
 * @param sha256 hex SHA-256 fingerprint of the leaf (DER)
 */
public record CertificateSummary(String subject, String issuer, List<String> subjectAltNames,
                                 Instant notBefore, Instant notAfter, String sha256) {
  public CertificateSummary {
    subjectAltNames = List.copyOf(subjectAltNames);
  }
}
