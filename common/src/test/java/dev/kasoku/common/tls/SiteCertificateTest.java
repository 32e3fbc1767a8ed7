package dev.kasoku.common.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.Test;

class SiteCertificateTest {
  private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  private static final SelfSignedCertificates.Generated WWW = SelfSignedCertificates.generate(
      List.of("www.example.com", "*.static.example.com"), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(90)));

  @Test
  void matchingCertificateAndKeyPassAndSummariseWithoutTheKey() {
    List<String> problems = new ArrayList<>();
    SiteCertificate c = SiteCertificate.parse(WWW.certificatePem(), WWW.privateKeyPem(),
        List.of("www.example.com", "img.static.example.com"), NOW, "tls", problems);
    assertThat(problems).isEmpty();
    assertThat(c).isNotNull();
    CertificateSummary s = c.summary();
    assertThat(s.subject()).isEqualTo("CN=www.example.com");
    assertThat(s.subjectAltNames()).containsExactly("www.example.com", "*.static.example.com");
    assertThat(s.notAfter()).isEqualTo(WWW.certificate().getNotAfter().toInstant());
    assertThat(s.sha256()).hasSize(64);
    assertThat(s.toString()).doesNotContain("PRIVATE");
  }

  @Test
  void rsaKeysInPkcs8AndPkcs1FormsAreAccepted() throws Exception {
    SelfSignedCertificates.Generated rsa = SelfSignedCertificates.generate(List.of("rsa.example.com"),
        NOW.minusSeconds(60), NOW.plus(Duration.ofDays(1)), "RSA");
    List<String> problems = new ArrayList<>();
    assertThat(SiteCertificate.parse(rsa.certificatePem(), rsa.privateKeyPem(), List.of("rsa.example.com"), NOW,
        "tls", problems)).isNotNull();
    String pkcs1 = SelfSignedCertificates.pem(rsa.keyPair().getPrivate());
    assertThat(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(SiteCertificate.parse(rsa.certificatePem(), pkcs1, List.of(), NOW, "tls", problems)).isNotNull();
    assertThat(problems).isEmpty();
  }

  @Test
  void keyOfAnotherCertificateIsRefusedWithoutQuotingTheKey() {
    SelfSignedCertificates.Generated other = SelfSignedCertificates.generate(List.of("www.example.com"),
        NOW.minusSeconds(60), NOW.plus(Duration.ofDays(1)));
    List<String> problems = new ArrayList<>();
    assertThat(SiteCertificate.parse(WWW.certificatePem(), other.privateKeyPem(), List.of(), NOW, "tls", problems))
        .isNull();
    assertThat(problems).containsExactly("tls.privateKeyPem: the private key does not match the certificate");
  }

  @Test
  void expiredNotYetValidAndUncoveredHostnamesAreAllReported() {
    SelfSignedCertificates.Generated expired = SelfSignedCertificates.generate(List.of("old.example.com"),
        NOW.minus(Duration.ofDays(100)), NOW.minus(Duration.ofDays(10)));
    SelfSignedCertificates.Generated future = SelfSignedCertificates.generate(List.of("new.example.com"),
        NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(100)));
    List<String> problems = new ArrayList<>();
    SiteCertificate.parse(expired.certificatePem(), expired.privateKeyPem(), List.of("other.example.com"), NOW,
        "tls", problems);
    SiteCertificate.parse(future.certificatePem(), future.privateKeyPem(), List.of(), NOW, "tls", problems);
    assertThat(problems).hasSize(3);
    assertThat(problems.get(0)).contains("expired");
    assertThat(problems.get(1)).contains("does not cover hostname other.example.com");
    assertThat(problems.get(2)).contains("not valid before");
  }

  @Test
  void garbageAndMissingPemAreReportedPerField() {
    List<String> problems = new ArrayList<>();
    SiteCertificate.parse("not a pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        List.of(), NOW, "tls", problems);
    SiteCertificate.parse(WWW.privateKeyPem(), "", List.of(), NOW, "tls", problems);
    assertThat(problems).anyMatch(p -> p.startsWith("tls.certificatePem"))
        .anyMatch(p -> p.startsWith("tls.privateKeyPem"))
        .noneMatch(p -> p.contains("AAAA"));
  }

  @Test
  void keyManagerServesTheChain() throws Exception {
    SiteCertificate c = WWW.siteCertificate();
    X509KeyManager km = (X509KeyManager) c.keyManagerFactory().getKeyManagers()[0];
    String alias = km.chooseServerAlias("EC", null, null);
    assertThat(km.getCertificateChain(alias)[0]).isEqualTo(WWW.certificate());
  }
}
