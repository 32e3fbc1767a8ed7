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
