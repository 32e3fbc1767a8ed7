package dev.kasoku.cacheedge.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.TargetedControls;
import dev.kasoku.cacheedge.policy.VaryKey;
import dev.kasoku.common.site.SiteConfig;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The compact stored head: fields round-trip exactly, and derived or shared strings stay right. */
class StoredObjectTest {
  private static final CompiledSite SITE = CompiledSite.compile("acme", "www",
      SiteConfig.parse("{\"hostnames\":[\"www.example.com\"],\"origins\":[{\"url\":\"http://o.example.com\"}]}"));
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private final MemoryStorage storage = new MemoryStorage(1 << 20, 1 << 16, 32);

  @AfterEach
  void tearDown() {
    storage.close();
  }

  private StoredObject object(String primaryKey, String host, String path, MultiMap headers) {
    BodyWriter w = storage.newBody(4);
    w.append(Buffer.buffer("body"));
    Freshness f = Freshness.compute(200, headers, TargetedControls.ofCacheControl(CacheControl.of(headers)),
        SITE, SITE.ruleFor("/"), NOW, NOW);
    return new StoredObject(primaryKey, VaryKey.NONE, "acme", host, path, 200, headers,
        VaryKey.of(headers), f, List.of(), 0, false, w.finish());
  }

  private static List<Map.Entry<String, String>> entries(MultiMap m) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    m.forEach(e -> out.add(Map.entry(e.getKey(), e.getValue())));
    return out;
  }

  private static List<Map.Entry<String, String>> visited(StoredObject o) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    o.forEachHeader((n, v) -> out.add(Map.entry(n, v)));
    return out;
  }

  @Test
  void multiValuedFieldsKeepTheirOrderAndTheCaseOfTheirNames() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add("Set-Cookie", "a=1")
        .add("content-type", "text/html")
        .add("X-Custom-Thing", "one")
        .add("set-cookie", "b=2")
        .add("x-custom-thing", "two")
        .add("ETag", "\"v1\"")
        .add("Cache-Control", "max-age=60");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(entries(o.headers())).containsExactlyElementsOf(entries(h));
    assertThat(visited(o)).containsExactlyElementsOf(entries(h));
    assertThat(o.headers().getAll("SET-COOKIE")).containsExactly("a=1", "b=2");
    assertThat(o.header("set-cookie")).isEqualTo("a=1");
    assertThat(o.header("X-CUSTOM-THING")).isEqualTo("one");
    assertThat(o.header("etag")).isEqualTo("\"v1\"");
    assertThat(o.header("missing")).isNull();
  }

  @Test
  void obsTextBytesRoundTripAsIso88591() {
    String obs = "caf\u00e9 \u00ff\u0080";
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("X-Obs", obs).add("Content-Disposition", "x; f=\u00e9");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(o.headers().get("x-obs")).isEqualTo(obs);
    assertThat(o.header("content-disposition")).isEqualTo("x; f=\u00e9");
    // one byte per char: what the HTTP parser produced, nothing widened to UTF-8
    assertThat(o.headBytes()).isEqualTo(1 + (1 + 1 + 5 + 1 + obs.length()) + (1 + 1 + 6));
  }

  @Test
  void charactersBeyondLatin1SurviveAsWell() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("X-Note", "\u65e5\u672c").add("Via", "1.1 a");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(entries(o.headers())).containsExactlyElementsOf(entries(h));
    assertThat(o.header("x-note")).isEqualTo("\u65e5\u672c");
    assertThat(o.header("via")).isEqualTo("1.1 a");
  }

  @Test
  void asciiHeadersAreTheStringHeadersByteForByte() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add("Server", "nginx/1.22.1")
        .add("Date", "Wed, 25 Nov 2026 19:28:44 GMT")
        .add("Content-Length", "4")
        .add("X-Obs", "caf\u00e9 \u00ff\u0080")
        .add("x-Literal-Name", "v")
        .add("Last-Modified", "wed, 25 Nov 2026 19:28:41 GMT")
        .add("ETag", "\"v1\"");
    StoredObject o = object("k", "www.example.com", "/p", h);
    List<Map.Entry<String, String>> ascii = new ArrayList<>();
    boolean latin1 = o.forEachAsciiHeader((n, v) -> {
      // what the HTTP/1.x encoder writes of an AsciiString: its bytes, one per char
      ascii.add(Map.entry(new String(n.array(), n.arrayOffset(), n.length(), java.nio.charset.StandardCharsets.ISO_8859_1),
          new String(v.array(), v.arrayOffset(), v.length(), java.nio.charset.StandardCharsets.ISO_8859_1)));
    });

    assertThat(latin1).isTrue();
    assertThat(ascii).containsExactlyElementsOf(visited(o));
    assertThat(ascii).containsExactlyElementsOf(entries(h));

    StoredObject wide = object("k", "www.example.com", "/p", MultiMap.caseInsensitiveMultiMap().add("X-Note", "\u65e5"));
    assertThat(wide.forEachAsciiHeader((n, v) -> { throw new AssertionError("called"); })).isFalse();
  }

  @Test
  void datesAndRepeatingValuesAreCodedAndRoundTripExactly() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add("Server", "nginx/1.22.1")
        .add("Date", "Wed, 25 Nov 2026 19:28:44 GMT")
        .add("Content-Type", "application/octet-stream")
        .add("Last-Modified", "Wed, 25 Nov 2026 19:28:41 GMT")
        .add("ETag", "\"v1\"")
        .add("cache-control", "public, max-age=86400")
        .add("Expires", "Thu, 26 Nov 2026 19:28:44 GMT");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(entries(o.headers())).containsExactlyElementsOf(entries(h));
    assertThat(visited(o)).containsExactlyElementsOf(entries(h));
    assertThat(o.header("last-modified")).isEqualTo("Wed, 25 Nov 2026 19:28:41 GMT");
    assertThat(o.header("etag")).isEqualTo("\"v1\""); // found past coded values
    assertThat(o.header("EXPIRES")).isEqualTo("Thu, 26 Nov 2026 19:28:44 GMT");
    // charset byte; per coded date name + 4; per shared value name + 1-2 index bytes (the name
    // implies how its value is coded: no kind byte)
    int literal = 1 + 1 + 4; // ETag
    assertThat(o.headBytes()).isBetween(1 + literal + 3 * 5 + 3 * 2, 1 + literal + 3 * 5 + 3 * 3);
    // a second object shares the values: same strings, no new table entries needed
    StoredObject o2 = object("k2", "www.example.com", "/p", h);
    assertThat(o2.header("server")).isSameAs(o.header("server"));
  }

  @Test
  void datesNotExactlyInImfFixdateFormStayLiteral() {
    String[] odd = {"Wed, 25 Nov 2026 19:28:60 GMT", "wed, 25 Nov 2026 19:28:44 GMT",
        "Thu, 25 Nov 2026 19:28:44 GMT", "Wednesday, 25-Nov-26 19:28:44 GMT", "Wed Nov 25 19:28:44 2026",
        "0", "Wed, 25 Nov 1969 19:28:44 GMT", "Wed, 25 Nov 2026 19:28:44 UTC"};
    for (String v : odd) {
      MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Date", v).add("Expires", v);
      StoredObject o = object("k", "www.example.com", "/p", h);
      assertThat(o.header("date")).isEqualTo(v);
      assertThat(entries(o.headers())).containsExactlyElementsOf(entries(h));
      assertThat(o.headBytes()).isEqualTo(1 + 2 * (1 + 1 + v.length()));
    }
  }

  @Test
  void repeatingValuesBeyondLatin1AndLongOnesRoundTrip() {
    String longType = "text/plain; x=" + "a".repeat(StoredObject.MAX_SHARED_LENGTH);
    MultiMap h = MultiMap.caseInsensitiveMultiMap()
        .add("Content-Type", longType)
        .add("Server", "\u65e5\u672c/1")
        .add("X-Note", "\u65e5");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(entries(o.headers())).containsExactlyElementsOf(entries(h));
    assertThat(o.header("server")).isEqualTo("\u65e5\u672c/1");
    assertThat(o.header("content-type")).isEqualTo(longType);
  }

  @Test
  void theStorageFilesAnInstanceOnceAndACopyWhenItComesAgain() {
    StoredObject o = object("k", "www.example.com", "/p", MultiMap.caseInsensitiveMultiMap().add("Age", "5"));
    String[] tagKeys = {"acme\u0000t1"};

    StoredObject first = o.storedAs(7, tagKeys);
    assertThat(first).isSameAs(o);
    assertThat(first.seq).isEqualTo(7);
    assertThat(first.carries("acme\u0000t1")).isTrue();
    assertThat(first.carries("acme\u0000t2")).isFalse();

    StoredObject again = o.storedAs(9, new String[0]);
    assertThat(again).isNotSameAs(o);
    assertThat(o.seq).as("the filed instance never changes").isEqualTo(7);
    assertThat(o.carries("acme\u0000t1")).isTrue();
    assertThat(again.seq).isEqualTo(9);
    assertThat(again.body()).isSameAs(o.body());
    assertThat(again.key()).isEqualTo(o.key());
    assertThat(again.header("age")).isEqualTo("5");
  }

  @Test
  void longValuesUseMultiByteLengths() {
    String longValue = "v".repeat(20_000);
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Link", longValue).add("Date", "d");
    StoredObject o = object("k", "www.example.com", "/p", h);

    assertThat(o.header("link")).isEqualTo(longValue);
    assertThat(o.header("date")).isEqualTo("d");
  }

  @Test
  void anEmptyHeadDecodesToAnEmptyMap() {
    StoredObject o = object("k", "www.example.com", "/p", MultiMap.caseInsensitiveMultiMap());

    assertThat(o.headers().isEmpty()).isTrue();
    assertThat(o.header("date")).isNull();
    assertThat(visited(o)).isEmpty();
    assertThat(o.headBytes()).isZero();
  }

  @Test
  void headersReturnsAFreshMapEachCall() {
    StoredObject o = object("k", "www.example.com", "/p", MultiMap.caseInsensitiveMultiMap().add("Age", "5"));
    o.headers().set("Age", "99");

    assertThat(o.header("age")).isEqualTo("5");
  }

  @Test
  void pathIsCutFromAPrimaryKeyThatEndsWithIt() {
    String key = CacheKey.canonicalize(SITE, "GET", "www.example.com:8443", "/a/b?x=1").primaryKey();
    StoredObject o = object(key, "www.example.com:8443", "/a/b?x=1", MultiMap.caseInsensitiveMultiMap());

    assertThat(o.path()).isEqualTo("/a/b?x=1");
    assertThat(o.weight()).isLessThan(object(key, "www.example.com:8443", "/other",
        MultiMap.caseInsensitiveMultiMap()).weight());
  }

  @Test
  void pathThatIsNotTheKeysUriIsKeptAsGiven() {
    String key = CacheKey.canonicalize(SITE, "GET", "www.example.com", "/a").primaryKey();

    assertThat(object(key, "www.example.com", "/b", MultiMap.caseInsensitiveMultiMap()).path()).isEqualTo("/b");
    assertThat(object("acme:a", "www.example.com", "/a", MultiMap.caseInsensitiveMultiMap()).path()).isEqualTo("/a");
    assertThat(object(key, "www.example.com", null, MultiMap.caseInsensitiveMultiMap()).path()).isNull();
  }

  @Test
  void hostsOfDifferentObjectsShareOneString() {
    StoredObject a = object("k1", new String("www.example.com"), "/1", MultiMap.caseInsensitiveMultiMap());
    StoredObject b = object("k2", new String("www.example.com"), "/2", MultiMap.caseInsensitiveMultiMap());

    assertThat(a.host()).isSameAs(b.host()).isEqualTo("www.example.com");
  }

  @Test
  void aSoftPurgeAndA304KeepPathAndHead() {
    String key = CacheKey.canonicalize(SITE, "GET", "www.example.com", "/a").primaryKey();
    StoredObject o = object(key, "www.example.com", "/a", MultiMap.caseInsensitiveMultiMap().add("ETag", "\"1\""));
    StoredObject stale = o.markedStale();
    StoredObject updated = o.withHead(MultiMap.caseInsensitiveMultiMap().add("ETag", "\"2\""), o.freshness(), List.of("t"));

    assertThat(stale.forcedStale()).isTrue();
    assertThat(stale.path()).isEqualTo("/a");
    assertThat(stale.header("etag")).isEqualTo("\"1\"");
    assertThat(updated.path()).isEqualTo("/a");
    assertThat(updated.header("etag")).isEqualTo("\"2\"");
    assertThat(updated.tags()).containsExactly("t");
    assertThat(stale).isNotEqualTo(o);
  }

  @Test
  void aContentLengthThatIsTheBodysLengthCostsNoBytesAndStillRoundTrips() {
    MultiMap same = MultiMap.caseInsensitiveMultiMap().add("Content-Length", "4").add("ETag", "\"x\"");
    MultiMap other = MultiMap.caseInsensitiveMultiMap().add("Content-Length", "5").add("ETag", "\"x\"");
    StoredObject coded = object("k", "www.example.com", "/p", same);
    StoredObject literal = object("k", "www.example.com", "/p", other);

    assertThat(coded.headBytes()).isEqualTo(literal.headBytes() - 2); // value length and "5"
    assertThat(entries(coded.headers())).containsExactlyElementsOf(entries(same));
    assertThat(visited(coded)).containsExactlyElementsOf(entries(same));
    assertThat(coded.header("content-length")).isEqualTo("4");
    assertThat(coded.header("etag")).isEqualTo("\"x\"");
    assertThat(entries(literal.headers())).containsExactlyElementsOf(entries(other));
  }

  @Test
  void statusGenerationStalenessVaryTagsAndPathSurviveEveryCopy() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Vary", "Accept-Encoding").add("Age", "1");
    VaryKey vary = VaryKey.of(h);
    BodyWriter w = storage.newBody(4);
    w.append(Buffer.buffer("body"));
    Freshness f = Freshness.compute(200, h, TargetedControls.ofCacheControl(CacheControl.of(h)),
        SITE, SITE.ruleFor("/"), NOW, NOW);
    long generation = (1L << 45) + 5;
    StoredObject o = new StoredObject("acme:www:g:www.example.com/p", "gzip", "acme", "www.example.com",
        "/not-the-uri", 599, h, vary, f, List.of("t1", "t2"), generation, false, w.finish());
    StoredObject filed = o.storedAs(3, new String[] {"acme\u0000t1", "acme\u0000t2"});
    StoredObject again = filed.storedAs(4, new String[] {"acme\u0000t1", "acme\u0000t2"});
    StoredObject stale = filed.markedStale();
    StoredObject updated = stale.withHead(h, f, List.of("t3"));

    for (StoredObject c : List.of(filed, again, stale, updated)) {
      assertThat(c.status()).isEqualTo(599);
      assertThat(c.generation()).isEqualTo(generation);
      assertThat(c.secondaryKey()).isEqualTo("gzip");
      assertThat(c.vary()).isSameAs(vary);
      assertThat(c.path()).isEqualTo("/not-the-uri");
      assertThat(c.key()).isEqualTo(o.key());
    }
    assertThat(filed.forcedStale()).isFalse();
    assertThat(stale.forcedStale()).isTrue();
    assertThat(updated.forcedStale()).as("a 304 update is fresh again").isFalse();
    assertThat(stale.tags()).containsExactly("t1", "t2");
    assertThat(stale.carries("acme\u0000t1")).as("a copy is not filed until the storage files it").isFalse();
    assertThat(again.carries("acme\u0000t2")).isTrue();
    assertThat(updated.tags()).containsExactly("t3");
    assertThat(o.weight()).as("the rare parts are charged").isGreaterThan(
        object("acme:www:g:www.example.com/p", "www.example.com", "/p", h).weight());
  }

  @Test
  void aStatusOrGenerationThatDoesNotFitIsRefused() {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    Freshness f = Freshness.compute(200, h, TargetedControls.ofCacheControl(CacheControl.of(h)),
        SITE, SITE.ruleFor("/"), NOW, NOW);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StoredObject("k", VaryKey.NONE, "acme",
        "h", "/p", 70_000, h, VaryKey.of(h), f, List.of(), 0, false, Body.EMPTY))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StoredObject("k", VaryKey.NONE, "acme",
        "h", "/p", 200, h, VaryKey.of(h), f, List.of(), -1, false, Body.EMPTY))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
