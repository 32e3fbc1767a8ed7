package dev.kasoku.common.tls;

import dev.kasoku.common.site.Hostnames;
import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * A site's certificate chain and private key, parsed from PEM and checked.
 *
 * <p>{@link #parse} never throws for bad input: it adds every problem it finds to the caller's list
 * (so a PUT can answer with all of them at once) and returns null when the material is unusable.
 * Problem messages never quote the key. The checks: the certificate and key parse; the key belongs
 * to the leaf certificate (a signature made with the key verifies with the leaf's public key, which
 * works alike for RSA, EC and EdDSA); the leaf is valid now; and, when hostnames are given, each is
 * covered by one of the leaf's DNS names.
 *
 * <p>Parsing uses Bouncy Castle's PEM reader (PKCS#1, SEC1 and PKCS#8 keys); the key objects are
 * ordinary JCA keys, so the edge serves them with the JDK's TLS stack.
 */
public final class SiteCertificate {
  private static final JcaX509CertificateConverter CERTS = new JcaX509CertificateConverter();
  private static final JcaPEMKeyConverter KEYS = new JcaPEMKeyConverter();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final List<X509Certificate> chain;
  private final PrivateKey key;

  private SiteCertificate(List<X509Certificate> chain, PrivateKey key) {
    this.chain = List.copyOf(chain);
    this.key = key;
  }

  /**
   * Parses and checks the material.
   *
   * @param hostnames normalised hostnames the certificate must cover (empty: no coverage check)
   * @param problems receives every problem found, each prefixed with {@code field}
   * @return the checked certificate, or null when any problem was found
   */
  public static SiteCertificate parse(String certificatePem, String privateKeyPem, List<String> hostnames,
                                      Instant now, String field, List<String> problems) {
    int before = problems.size();
    List<X509Certificate> chain = parseCertificates(certificatePem, field + ".certificatePem", problems);
    PrivateKey key = parsePrivateKey(privateKeyPem, field + ".privateKeyPem", problems);
    if (chain.isEmpty() || key == null) {
      return null;
    }
    X509Certificate leaf = chain.get(0);
    if (!keyMatches(key, leaf.getPublicKey())) {
      problems.add(field + ".privateKeyPem: the private key does not match the certificate");
    }
    if (leaf.getNotAfter().toInstant().isBefore(now)) {
      problems.add(field + ".certificatePem: the certificate expired at " + leaf.getNotAfter().toInstant());
    }
    if (leaf.getNotBefore().toInstant().isAfter(now)) {
      problems.add(field + ".certificatePem: the certificate is not valid before " + leaf.getNotBefore().toInstant());
    }
    List<String> names = dnsNames(leaf);
    for (String host : hostnames) {
      if (names.stream().noneMatch(n -> Hostnames.certificateNameCovers(n, host))) {
        problems.add(field + ".certificatePem: the certificate does not cover hostname " + host
            + " (its names: " + names + ")");
      }
    }
    return problems.size() == before ? new SiteCertificate(chain, key) : null;
  }

  /**
   * Rebuilds a certificate from material that was checked when it was stored (the edge loading a
   * site); fails with {@link IllegalArgumentException} when it no longer parses or matches.
   */
  public static SiteCertificate load(String certificatePem, String privateKeyPem) {
    List<String> problems = new ArrayList<>();
    List<X509Certificate> chain = parseCertificates(certificatePem, "certificatePem", problems);
    PrivateKey key = parsePrivateKey(privateKeyPem, "privateKeyPem", problems);
    if (!problems.isEmpty() || chain.isEmpty() || key == null || !keyMatches(key, chain.get(0).getPublicKey())) {
      throw new IllegalArgumentException("stored TLS material is unusable: " + problems);
    }
    return new SiteCertificate(chain, key);
  }

  /** Wraps an already-built key pair and chain (the edge's generated default certificate). */
  public static SiteCertificate of(List<X509Certificate> chain, PrivateKey key) {
    return new SiteCertificate(chain, key);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public List<X509Certificate> chain() {
    return chain;
  }

  /** The private key, for the TLS server that presents this certificate; never log or serialise it. */
  public PrivateKey privateKey() {
    return key;
  }

  /** The summary the API shows. */
  public CertificateSummary summary() {
    X509Certificate leaf = leaf();
    return summarise(leaf);
  }

  /**
   * The summary of the leaf of a PEM chain (the API's view of a stored site), or empty when the
   * text holds no certificate.
   */
  public static java.util.Optional<CertificateSummary> summarise(String certificatePem) {
    List<X509Certificate> chain = parseCertificates(certificatePem, "certificatePem", new ArrayList<>());
    return chain.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(summarise(chain.get(0)));
  }

  /** The summary of any certificate. */
  public static CertificateSummary summarise(X509Certificate leaf) {
    return new CertificateSummary(
        leaf.getSubjectX500Principal().getName(X500Principal.RFC2253),
        leaf.getIssuerX500Principal().getName(X500Principal.RFC2253),
        dnsNames(leaf),
        leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant(),
        fingerprint(leaf));
  }

  /** A key manager factory serving this chain and key, for a TLS server. */
  public KeyManagerFactory keyManagerFactory() {
    return SingleCertificateKeyManager.factory(chain, key);
  }

  @Override
  public String toString() {
    return "SiteCertificate[" + leaf().getSubjectX500Principal() + "]";
  }

  /** The leaf's DNS subject alternative names, lower case. */
  public static List<String> dnsNames(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (Integer.valueOf(2).equals(san.get(0))) {
            out.add(String.valueOf(san.get(1)).toLowerCase(java.util.Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // unreadable extension: the certificate then covers no name
    }
    return out;
  }

  static String fingerprint(X509Certificate cert) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<X509Certificate> parseCertificates(String pem, String field, List<String> problems) {
    List<X509Certificate> out = new ArrayList<>();
    if (pem == null || pem.isBlank()) {
      problems.add(field + ": required");
      return out;
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o;
      while ((o = parser.readObject()) != null) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(CERTS.getCertificate(holder));
        } else {
          problems.add(field + ": holds a PEM object that is not a certificate");
          return List.of();
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      problems.add(field + ": not a valid PEM certificate");
      return List.of();
    }
    if (out.isEmpty()) {
      problems.add(field + ": no PEM certificate found");
    }
    return out;
  }

  private static PrivateKey parsePrivateKey(String pem, String field, List<String> problems) {
    if (pem == null || pem.isBlank()) {
      problems.add(field + ": required");
      return null;
    }
    // the messages below never include the PEM text: it is a secret
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      if (parser.readObject() != null) {
        problems.add(field + ": must hold exactly one private key");
        return null;
      }
      if (o instanceof PEMKeyPair pair) {
        return KEYS.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return KEYS.getPrivateKey(info);
      }
      if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
        problems.add(field + ": encrypted (password-protected) keys are not supported; send the key unencrypted over TLS");
        return null;
      }
      problems.add(field + ": no PEM private key found");
      return null;
    } catch (IOException | RuntimeException e) {
      problems.add(field + ": not a valid PEM private key");
      return null;
    }
  }

  private static boolean keyMatches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (alg == null || !pub.getAlgorithm().equals(key.getAlgorithm())
        && !(pub.getAlgorithm().startsWith("Ed") && key.getAlgorithm().startsWith("Ed"))) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature signer = Signature.getInstance(alg);
      signer.initSign(key);
      signer.update(challenge);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(alg);
      verifier.initVerify(pub);
      verifier.update(challenge);
      return verifier.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
