package dev.kasoku.common.site;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostnamesTest {

  @ParameterizedTest
  @CsvSource({
      "www.example.com, www.example.com",
      "WWW.Example.COM, www.example.com",
      "www.example.com., www.example.com",
      "localhost, localhost",
      "intranet, intranet",
      "bücher.example, xn--bcher-kva.example",
      "BÜCHER.example., xn--bcher-kva.example",
      "xn--bcher-kva.example, xn--bcher-kva.example",
      "a-b.c0.io, a-b.c0.io"})
  void normalisesCaseTrailingDotAndIdnToTheSameName(String raw, String expected) {
    assertThat(Hostnames.normalise(raw)).contains(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "a..b", "-a.com", "a-.com", "a_b.com", "*.example.com", "host:8080",
      "127.0.0.1", "127.1", "10.0.0.1.", "exa mple.com", "a.com..", "http://a.com"})
  void refusesWhatIsNotADnsName(String raw) {
    assertThat(Hostnames.normalise(raw)).isEmpty();
  }

  @Test
  void refusesLabelsAndNamesThatAreTooLong() {
    assertThat(Hostnames.normalise("a".repeat(64) + ".com")).isEmpty();
    assertThat(Hostnames.normalise("a".repeat(63) + ".com")).isPresent();
    String longName = ("a".repeat(60) + ".").repeat(5) + "com";
    assertThat(Hostnames.normalise(longName)).isEmpty();
  }

  @Test
  void wildcardCertificateNameCoversExactlyOneLabel() {
    assertThat(Hostnames.certificateNameCovers("*.example.com", "www.example.com")).isTrue();
    assertThat(Hostnames.certificateNameCovers("*.example.com", "a.b.example.com")).isFalse();
    assertThat(Hostnames.certificateNameCovers("*.example.com", "example.com")).isFalse();
    assertThat(Hostnames.certificateNameCovers("WWW.example.com.", "www.example.com")).isTrue();
  }
}
