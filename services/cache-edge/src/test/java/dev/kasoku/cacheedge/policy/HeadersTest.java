package dev.kasoku.cacheedge.policy;

import static dev.kasoku.cacheedge.policy.TestSites.T0;
import static dev.kasoku.cacheedge.policy.TestSites.date;
import static dev.kasoku.cacheedge.policy.TestSites.headers;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** Header handling: RFC 9110 §7.6, RFC 9111 §3.1, §4.3.4, RFC 7239, and poisoning vectors. */
class HeadersTest {
  private static final Headers.Forwarding FWD =
      new Headers.Forwarding("203.0.113.7", false, true, "www.example.com", "1.1", "edge-1");

  /** RFC 9110 §7.6.1: hop-by-hop fields and those named in Connection are removed. */
  @Test
  void hopByHopAndConnectionNamedFieldsAreRemoved() {
    MultiMap h = headers("Connection", "keep-alive, X-Secret", "Keep-Alive", "timeout=5",
        "X-Secret", "s", "TE", "trailers", "Upgrade", "h2c", "Transfer-Encoding", "chunked",
        "Trailer", "x", "X-Kept", "1");
    Headers.removeHopByHop(h);
    assertThat(h.names()).containsExactly("X-Kept");
  }

  /** httpoxy (CVE-2016-5385): "Proxy" and every Proxy-* field are dropped. */
  @Test
  void proxyFieldsAreRemoved() {
    MultiMap h = headers("Proxy", "http://evil", "Proxy-Authorization", "x", "Proxy-Connection", "k");
    Headers.removeHopByHop(h);
    assertThat(h.isEmpty()).isTrue();
  }

  /** Connection naming Host or Content-Length must not break routing or framing. */
  @Test
  void connectionCannotRemoveHostOrContentLength() {
    MultiMap h = headers("Connection", "host, content-length", "Host", "a", "Content-Length", "3");
    Headers.removeHopByHop(h);
    assertThat(h.get("host")).isEqualTo("a");
    assertThat(h.get("content-length")).isEqualTo("3");
  }

  /** Unkeyed fields that rewrite the request at the origin are never forwarded (cache poisoning). */
  @Test
  void poisoningAndOverrideFieldsAreNotForwarded() {
    MultiMap h = headers("X-Forwarded-Host", "evil", "X-Original-URL", "/admin", "X-Rewrite-URL", "/admin",
        "X-HTTP-Method-Override", "DELETE", "X-HTTP-Method", "PUT", "X-Method-Override", "PATCH",
        "Cache-Status", "fake", "Accept", "*/*");
    h = towardsOrigin(h, FWD, false);
    assertThat(h.contains("x-forwarded-host")).isFalse();
    assertThat(h.contains("x-original-url")).isFalse();
    assertThat(h.contains("x-rewrite-url")).isFalse();
    assertThat(h.contains("x-http-method-override")).isFalse();
    assertThat(h.contains("x-http-method")).isFalse();
    assertThat(h.contains("x-method-override")).isFalse();
    assertThat(h.contains("cache-status")).isFalse();
    assertThat(h.get("accept")).isEqualTo("*/*");
  }

  @Test
  void clientConditionalsAreStrippedOnAFill() {
    MultiMap h = headers("If-None-Match", "\"a\"", "If-Modified-Since", date(T0), "If-Range", "\"a\"");
    h = towardsOrigin(h, FWD, true);
    assertThat(h.contains("if-none-match")).isFalse();
    assertThat(h.contains("if-modified-since")).isFalse();
    assertThat(h.contains("if-range")).isFalse();
  }

  /** An untrusted client cannot spoof its address through X-Forwarded-For or Forwarded. */
  @Test
  void untrustedPeerForwardingFieldsAreReplaced() {
    MultiMap h = headers("X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4");
    h = towardsOrigin(h, FWD, false);
    assertThat(h.get("x-forwarded-for")).isEqualTo("203.0.113.7");
    assertThat(h.get("forwarded")).isEqualTo("for=203.0.113.7;host=www.example.com;proto=https");
    assertThat(h.get("x-forwarded-proto")).isEqualTo("https");
  }

  @Test
  void trustedPeerForwardingFieldsAreAppendedTo() {
    Headers.Forwarding trusted = new Headers.Forwarding("10.0.0.1", true, false, "h", "1.1", "edge-1");
    MultiMap h = headers("X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4");
    h = towardsOrigin(h, trusted, false);
    assertThat(h.get("x-forwarded-for")).isEqualTo("1.2.3.4, 10.0.0.1");
    assertThat(h.get("forwarded")).isEqualTo("for=1.2.3.4, for=10.0.0.1;host=h;proto=http");
  }

  /**
   * A field the client's Connection names is hop-by-hop: even from a trusted proxy it is dropped,
   * not continued (the one-pass copy must not read it back when composing the forwarding fields).
   */
  @Test
  void connectionNamedForwardingFieldsAreNotContinued() {
    Headers.Forwarding trusted = new Headers.Forwarding("10.0.0.1", true, false, "h", "1.1", "edge-1");
    MultiMap client = headers("Connection", "X-Forwarded-For, via", "X-Forwarded-For", "1.2.3.4",
        "Via", "1.0 hop", "Forwarded", "for=1.2.3.4", "Accept", "*/*");
    MultiMap out = headers();
    Headers.copyForOrigin(client, out, trusted, false);
    assertThat(out.get("x-forwarded-for")).isEqualTo("10.0.0.1");
    assertThat(out.get("via")).isEqualTo("1.1 edge-1 (Kasoku)");
    assertThat(out.get("forwarded")).isEqualTo("for=1.2.3.4, for=10.0.0.1;host=h;proto=http");
    assertThat(out.get("accept")).isEqualTo("*/*");
    assertThat(out.contains("connection")).isFalse();
    assertThat(client.get("x-forwarded-for")).isEqualTo("1.2.3.4"); // the client's fields are not modified
  }

  /** RFC 7239 §6: an IPv6 address is bracketed and quoted. */
  @Test
  void ipv6ClientIsQuotedInForwarded() {
    Headers.Forwarding v6 = new Headers.Forwarding("2001:db8::1", false, false, "h", "1.1", "edge-1");
    MultiMap h = towardsOrigin(headers(), v6, false);
    assertThat(h.get("forwarded")).startsWith("for=\"[2001:db8::1]\";");
  }

  /** RFC 9110 §7.6.3: a proxy appends its Via element. */
  @Test
  void viaIsAppended() {
    MultiMap h = towardsOrigin(headers("Via", "1.0 upstream"), FWD, false);
    assertThat(h.get("via")).isEqualTo("1.0 upstream, 1.1 edge-1 (Kasoku)");
  }

  /**
   * Fields addressed to this edge alone are consumed, not forwarded to clients; CDN-Cache-Control,
   * addressed to every CDN (RFC 9213 §3), is forwarded for a CDN in front of us.
   */
  @Test
  void consumedResponseFieldsAreNotSentToClients() {
    MultiMap h = headers("Surrogate-Key", "a b", "Surrogate-Control", "max-age=1",
        "CDN-Cache-Control", "max-age=1", "Kasoku-CDN-Cache-Control", "max-age=1",
        "Connection", "close", "X-Custom", "kept", "Cache-Control", "max-age=1");
    h = towardsClient(h);
    assertThat(h.names()).containsExactlyInAnyOrder("X-Custom", "Cache-Control", "CDN-Cache-Control");
  }

  @Test
  void surrogateKeysAreSplitOnWhitespaceAcrossLines() {
    MultiMap h = headers("Surrogate-Key", "  product-1 \tcategory-2 product-1", "Surrogate-Key", "all");
    assertThat(Headers.surrogateKeys(h)).containsExactly("product-1", "category-2", "all");
    assertThat(Headers.surrogateKeys(headers())).isEmpty();
  }

  @Test
  void storedHeadersDropHopByHopFields() {
    MultiMap resp = headers("Connection", "close", "Transfer-Encoding", "chunked", "ETag", "\"a\"");
    MultiMap stored = Headers.storedHeaders(resp, CacheControl.of(resp));
    assertThat(stored.names()).containsExactly("ETag");
    assertThat(resp.contains("connection")).isTrue();
  }

  /** RFC 9111 §4.3.4: fields of a 304 replace the stored ones; framing fields do not. */
  @Test
  void notModifiedUpdatesStoredFieldsExceptFraming() {
    MultiMap stored = headers("Cache-Control", "max-age=60", "ETag", "\"v1\"", "Content-Length", "10",
        "X-Old", "1", "Date", date(T0));
    MultiMap nm = headers("Cache-Control", "max-age=120", "Content-Length", "0", "X-New", "2",
        "Date", date(T0.plusSeconds(100)));
    Headers.updateFrom304(stored, nm, T0.plusSeconds(100));
    assertThat(stored.get("cache-control")).isEqualTo("max-age=120");
    assertThat(stored.get("content-length")).isEqualTo("10");
    assertThat(stored.get("x-old")).isEqualTo("1");
    assertThat(stored.get("x-new")).isEqualTo("2");
    assertThat(stored.get("date")).isEqualTo(date(T0.plusSeconds(100)));
  }

  @Test
  void notModifiedReplacesAllLinesOfAField() {
    MultiMap stored = headers("Link", "<a>", "Link", "<b>");
    Headers.updateFrom304(stored, headers("Link", "<c>"), T0);
    assertThat(stored.getAll("link")).containsExactly("<c>");
  }

  /** After a 304 the stored Age no longer applies; freshness restarts from the revalidation. */
  @Test
  void notModifiedResetsAgeAndDateSoFreshnessRestarts() {
    MultiMap stored = headers("Cache-Control", "max-age=60", "Age", "50", "Date", date(T0));
    java.time.Instant later = T0.plusSeconds(500);
    Headers.updateFrom304(stored, headers("ETag", "\"v1\""), later);
    CompiledSite s = TestSites.site();
    Freshness f = Freshness.compute(200, stored, TargetedControls.select(stored), s, s.ruleFor("/"),
        later, later);
    assertThat(f.ageSeconds(later)).isZero();
    assertThat(f.isFresh(later.plusSeconds(59))).isTrue();
  }


  private static MultiMap towardsOrigin(MultiMap client, Headers.Forwarding fwd, boolean stripConditionals) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    Headers.copyForOrigin(client, out, fwd, stripConditionals);
    return out;
  }

  private static MultiMap towardsClient(MultiMap origin) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    Headers.copyForClient(origin, out);
    return out;
  }
}
