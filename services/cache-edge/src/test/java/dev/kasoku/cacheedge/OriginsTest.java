package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import java.net.ServerSocket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Origin connections: failover, timeouts, forwarding headers, tenant isolation, SSRF guard. */
class OriginsTest {
  private EdgeHarness h;

  @AfterEach
  void tearDown() {
    h.close();
  }

  static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void trafficShiftsToTheHealthyOriginWhenOneRefuses() throws Exception {
    h = new EdgeHarness();
    TestOrigin up = h.origin().respond(200, "up");
    h.site("site", "o.example.com", "[{\"url\":\"http://127.0.0.1:" + deadPort() + "\",\"weight\":5},{\"url\":\""
        + up.url() + "\",\"weight\":1}]", null);

    for (int i = 0; i < 10; i++) {
      Resp r = h.get("o.example.com", "/p" + i);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("up");
    }
    assertThat(up.count()).isEqualTo(10);
  }

  @Test
  void originThatNeverAnswersGives504() {
    h = new EdgeHarness(s -> s.withTimeouts(2000, 1000, 500));
    TestOrigin silent = h.origin().handle(req -> { });
    h.site("o.example.com", silent, null);

    Resp r = h.get("o.example.com", "/hang");
    assertThat(r.status()).isEqualTo(504);
  }

  @Test
  void refusedOriginWithoutStoredCopyGives502() throws Exception {
    h = new EdgeHarness();
    h.site("site", "o.example.com", "[{\"url\":\"http://127.0.0.1:" + deadPort() + "\"}]", null);
    assertThat(h.get("o.example.com", "/x").status()).isEqualTo(502);
  }

  @Test
  void loopbackOriginIsRefusedWithoutAnAllowedNetwork() {
    h = new EdgeHarness(s -> new dev.kasoku.cacheedge.EdgeSettings(s.instances(), s.bindAddress(), s.port(),
        s.memoryBytes(), s.maxObjectBytes(), s.maxVariants(), s.collapseWaitMs(), s.connectTimeoutMs(),
        s.readTimeoutMs(), s.originDownMs(), s.maxHeaderBytes(), s.maxUriBytes(), s.h2MaxConcurrentStreams(),
        s.h2RstFloodMax(), s.h2RstFloodWindowSeconds(), s.siteRefreshMs(), List.of(), List.of(), s.nodeId()));
    TestOrigin local = h.origin();
    h.site("o.example.com", local, null);
    h.site("meta", "meta.example.com", "[{\"url\":\"http://169.254.169.254\"}]", null);
    h.site("named", "named.example.com", "[{\"url\":\"http://localhost:" + local.port() + "\"}]", null);

    assertThat(h.get("o.example.com", "/").status()).isEqualTo(502);
    assertThat(h.get("meta.example.com", "/latest/meta-data/").status()).isEqualTo(502);
    assertThat(h.get("named.example.com", "/").status()).isEqualTo(502);
    assertThat(local.count()).isZero();
  }

  /**
   * IPv6 forms that carry an IPv4 address are judged, at connect time, by the address they carry.
   * Regression: the NAT64 form of the metadata address was refused only because every NAT64 address
   * was, and the config service accepted it; now both sides apply one rule.
   */
  @Test
  void ipv6FormsCarryingAnIpv4AddressAreJudgedByThatAddressWhenConnecting() {
    h = new EdgeHarness(); // allows 127.0.0.0/8 only
    h.site("nat64meta", "n1.example.com", "[{\"url\":\"http://[64:ff9b::a9fe:a9fe]\"}]", null);
    h.site("sixtofour", "n2.example.com", "[{\"url\":\"http://[2002:a9fe:a9fe::1]\"}]", null);
    h.site("teredo", "n3.example.com", "[{\"url\":\"http://[2001:0:a9fe:a9fe::1]\"}]", null);
    h.site("nat64loop", "n4.example.com", "[{\"url\":\"http://[64:ff9b::7f00:1]:9\"}]", null);

    for (String host : List.of("n1.example.com", "n2.example.com", "n3.example.com")) {
      Resp r = h.get(host, "/latest/meta-data/");
      assertThat(r.status()).as(host).isEqualTo(502);
      assertThat(r.text()).as(host).contains("origin address not allowed");
    }
    Resp allowed = h.get("n4.example.com", "/");
    assertThat(allowed.status()).isIn(502, 504);
    assertThat(allowed.text()).as("127.0.0.1 is allowed here, so its NAT64 form is tried").doesNotContain("not allowed");
  }

  @Test
  void forwardingHeadersAreAddedAndHopByHopRemoved() {
    h = new EdgeHarness();
    TestOrigin o = h.origin().respond(200, "x");
    h.site("o.example.com", o, null);

    h.get("o.example.com", "/f", "X-Forwarded-For", "6.6.6.6", "Connection", "X-Secret", "X-Secret", "1",
        "Keep-Alive", "timeout=5");
    var seen = o.last().headers();
    assertThat(seen.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seen.get("Forwarded")).contains("for=127.0.0.1");
    assertThat(seen.get("Via")).contains("edge-test");
    assertThat(seen.get("X-Secret")).isNull();
    assertThat(seen.get("Keep-Alive")).isNull();
    assertThat(seen.get("Host")).startsWith("127.0.0.1");
  }

  @Test
  void originConnectionsAreNeverSharedBetweenTenants() {
    h = new EdgeHarness();
    Set<Object> aConns = ConcurrentHashMap.newKeySet();
    Set<Object> bConns = ConcurrentHashMap.newKeySet();
    TestOrigin o = h.origin();
    o.handle(req -> {
      (req.getHeader("X-T").equals("a") ? aConns : bConns).add(req.connection().remoteAddress().port());
      req.response().end("x");
    });
    h.site("tenant-a", "s", "a.example.com", "[{\"url\":\"" + o.url() + "\"}]", null);
    h.site("tenant-b", "s", "b.example.com", "[{\"url\":\"" + o.url() + "\"}]", null);

    for (int i = 0; i < 4; i++) {
      h.get("a.example.com", "/x" + i, "X-T", "a");
      h.get("b.example.com", "/x" + i, "X-T", "b");
    }
    assertThat(aConns).isNotEmpty().doesNotContainAnyElementsOf(bConns);
  }
}
