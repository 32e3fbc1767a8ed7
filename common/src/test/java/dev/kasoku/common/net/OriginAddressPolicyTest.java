package dev.kasoku.common.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OriginAddressPolicyTest {
  private final OriginAddressPolicy strict = new OriginAddressPolicy(List.of());

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
      "169.254.169.254", "100.100.100.200", "0.0.0.0", "[::1]", "::1", "[::]", "[fe80::1]", "[fd00:ec2::254]",
      "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "localhost", "LOCALHOST", "api.localhost", "localhost.",
      "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "017700000001", "224.0.0.1", "255.255.255.255"})
  void refusesLoopbackPrivateLinkLocalMetadataAndNumericTricks(String host) {
    assertThat(strict.checkHost(host)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"origin.example.com", "93.184.216.34", "[2606:2800:220:1:248:1893:25c8:1946]",
      "8.8.8.8", "localhost-origin.example.com", "172.32.0.1"})
  void acceptsPublicAddressesAndNames(String host) {
    assertThat(strict.checkHost(host)).isEmpty();
  }

  @Test
  void operatorAllowListOpensExactlyTheListedNetworks() throws Exception {
    OriginAddressPolicy dev = new OriginAddressPolicy(List.of(Cidr.parse("127.0.0.0/8")));
    assertThat(dev.checkHost("127.0.0.1")).isEmpty();
    assertThat(dev.checkHost("localhost")).isEmpty();
    assertThat(dev.checkHost("10.0.0.1")).isPresent();
    assertThat(dev.checkHost("169.254.169.254")).isPresent();
    assertThat(dev.permits(InetAddress.getByName("127.0.0.2"))).isTrue();
    assertThat(dev.permits(InetAddress.getByName("192.168.0.1"))).isFalse();
  }

  /** Regression: the NAT64 form of the metadata address, [64:ff9b::a9fe:a9fe], was accepted as an origin. */
  @ParameterizedTest
  @ValueSource(strings = {"[64:ff9b::a9fe:a9fe]", "[64:ff9b::169.254.169.254]", "[64:ff9b::7f00:1]",
      "[64:ff9b::a00:1]", "[::ffff:0:a9fe:a9fe]", "[::169.254.169.254]", "[::127.0.0.1]",
      "[2002:a9fe:a9fe::1]", "[2002:7f00:1::]", "[2002:c0a8:101:1::5]", "[2001:0:a9fe:a9fe::1]",
      "[2001:0:808:808::5601:5601]", "[64:ff9b:1::a9fe:a9fe]", "[fec0::1]"})
  void ipv6FormsCarryingARestrictedIpv4AddressAreRefused(String host) {
    assertThat(strict.checkHost(host)).as(host).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"[64:ff9b::808:808]", "[64:ff9b::93.184.216.34]", "[2002:808:808::1]",
      "[::ffff:8.8.8.8]", "[2001:0:808:808::f7f7:f7f7]"})
  void ipv6FormsCarryingAPublicIpv4AddressAreAsGoodAsThatAddress(String host) {
    assertThat(strict.checkHost(host)).as(host).isEmpty();
  }

  @Test
  void theCarriedAddressIsJudgedAgainstTheOperatorsAllowList() throws Exception {
    OriginAddressPolicy dev = new OriginAddressPolicy(List.of(Cidr.parse("127.0.0.0/8")));
    assertThat(dev.permits(InetAddress.getByName("64:ff9b::7f00:1"))).isTrue();
    assertThat(dev.permits(InetAddress.getByName("64:ff9b::a9fe:a9fe"))).isFalse();
    assertThat(dev.permits(InetAddress.getByName("2002:7f00:1::1"))).isTrue();
  }
}
