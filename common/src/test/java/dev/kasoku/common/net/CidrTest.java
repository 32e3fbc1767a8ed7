package dev.kasoku.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {

  @Test
  void ipv4NetworkContainsItsAddressesAndNoOthers() {
    Cidr net = Cidr.parse("10.1.0.0/16");
    assertThat(net.contains("10.1.255.7")).isTrue();
    assertThat(net.contains("10.2.0.1")).isFalse();
  }

  @Test
  void hostBitsOfTheNetworkAreMaskedOff() {
    assertThat(Cidr.parse("192.168.1.77/24")).isEqualTo(Cidr.parse("192.168.1.0/24"));
    assertThat(Cidr.parse("192.168.1.77/24").toString()).isEqualTo("192.168.1.0/24");
  }

  @Test
  void singleAddressIsAHostRoute() {
    Cidr one = Cidr.parse("127.0.0.1");
    assertThat(one.prefixLength()).isEqualTo(32);
    assertThat(one.contains("127.0.0.1")).isTrue();
    assertThat(one.contains("127.0.0.2")).isFalse();
  }

  @Test
  void ipv6NetworkMatchesIpv6Only() {
    Cidr net = Cidr.parse("2001:db8::/32");
    assertThat(net.contains("2001:db8:1::5")).isTrue();
    assertThat(net.contains("2001:db9::1")).isFalse();
    assertThat(net.contains("10.0.0.1")).isFalse();
  }

  @Test
  void ipv4MappedIpv6AddressMatchesTheIpv4Network() {
    assertThat(Cidr.parse("127.0.0.0/8").contains("::ffff:127.0.0.1")).isTrue();
  }

  @Test
  void zeroPrefixMatchesEveryAddressOfItsFamily() {
    assertThat(Cidr.parse("0.0.0.0/0").contains("203.0.113.9")).isTrue();
  }

  @Test
  void hostNamesAreRefusedWithoutAnyDnsLookup() {
    assertThatThrownBy(() -> Cidr.parse("example.com/24")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Cidr.parse("10.0.0.0/8").contains("localhost")).isFalse();
  }

  @Test
  void outOfRangeOctetsAndPrefixesAreRefused() {
    assertThatThrownBy(() -> Cidr.parse("300.1.1.1/8")).hasMessageContaining("300.1.1.1");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("prefix");
    assertThatThrownBy(() -> Cidr.parse("::1/129")).hasMessageContaining("prefix");
  }

  @Test
  void literalsParseWithoutLookupAndNamesOrMalformedLiteralsGiveNull() {
    assertThat(Cidr.parseLiteral("127.0.0.1").getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(Cidr.parseLiteral("[::1]").isLoopbackAddress()).isTrue();
    assertThat(Cidr.parseLiteral("999.1.1.1")).isNull();
    assertThat(Cidr.parseLiteral("origin.example")).isNull();
  }
}
