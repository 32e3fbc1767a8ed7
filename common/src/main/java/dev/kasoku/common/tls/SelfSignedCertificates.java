package dev.kasoku.common.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.util.io.pem.PemGenerationException;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed certificates made with Bouncy Castle: the edge's default certificate (served to a
 * client whose SNI names no site, so it never sees a tenant's certificate), and the material tests
 * generate instead of shipping key files.
 */
public final class SelfSignedCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private SelfSignedCertificates() {}

  /** A generated certificate with its key pair. */
  public record Generated(X509Certificate certificate, KeyPair keyPair) {
    public String certificatePem() {
      return pem(certificate);
    }

    /** The key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form every tool reads. */
    public String privateKeyPem() {
      try {
        return pem(new JcaPKCS8Generator(keyPair.getPrivate(), null));
      } catch (PemGenerationException e) {
        throw new IllegalStateException(e);
      }
    }

    public SiteCertificate siteCertificate() {
      return SiteCertificate.of(List.of(certificate), keyPair.getPrivate());
    }
  }

  /** An EC P-256 certificate for {@code dnsNames} (the first is also the CN). */
  public static Generated generate(List<String> dnsNames, Instant notBefore, Instant notAfter) {
    return generate(dnsNames, notBefore, notAfter, "EC");
  }

  /**
   * A certificate for {@code dnsNames}.
   *
   * @param keyAlgorithm "EC" (P-256) or "RSA" (2048 bits)
   */
  public static Generated generate(List<String> dnsNames, Instant notBefore, Instant notAfter, String keyAlgorithm) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(keyAlgorithm);
      if ("EC".equals(keyAlgorithm)) {
        gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      } else {
        gen.initialize(2048, RANDOM);
      }
      KeyPair pair = gen.generateKeyPair();
      X500Name name = new X500Name("CN=" + dnsNames.get(0).replaceAll("[,+=\"\\\\<>;]", "_"));
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          name, new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
          Date.from(notBefore), Date.from(notAfter), name, pair.getPublic());
      GeneralName[] sans = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      String sigAlg = "EC".equals(keyAlgorithm) ? "SHA256withECDSA" : "SHA256withRSA";
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(sigAlg).build(pair.getPrivate())));
      return new Generated(cert, pair);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate a certificate for " + dnsNames, e);
    }
  }

  /** PEM text of a certificate or key. */
  public static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }
}
