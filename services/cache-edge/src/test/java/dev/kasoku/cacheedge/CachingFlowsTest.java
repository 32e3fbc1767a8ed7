package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.purge.SiteUrlKeys;
import dev.kasoku.cacheedge.storage.Selection;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import io.vertx.core.http.HttpMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** End-to-end caching flows through a real edge: miss, hit, revalidation, stale serving, ranges, Vary. */
class CachingFlowsTest {
  private EdgeHarness h;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin();
    h.site("www.example.com", origin, null);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  @Test
  void secondRequestIsAHitWithAgeAndCacheStatus() {
    origin.respond(200, "hello", "Cache-Control", "max-age=60", "X-Custom-Thing", "kept");
    Resp first = h.get("www.example.com", "/a");
    h.clock.advance(Duration.ofSeconds(5));
    Resp second = h.get("www.example.com", "/a");

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.cacheStatus()).contains("fwd=uri-miss").contains("stored");
    assertThat(second.text()).isEqualTo("hello");
    assertThat(second.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(second.header("Age")).isEqualTo("5");
    assertThat(second.header("X-Custom-Thing")).isEqualTo("kept");
    assertThat(second.header("Via")).contains("edge-test");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void expiredObjectIsRevalidatedWithItsValidatorsAnd304RefreshesIt() {
    origin.handle(req -> {
      if ("\"v1\"".equals(req.getHeader("If-None-Match"))) {
        req.response().setStatusCode(304).putHeader("Cache-Control", "max-age=60").putHeader("ETag", "\"v1\"").end();
      } else {
        req.response().putHeader("Cache-Control", "max-age=10").putHeader("ETag", "\"v1\"").end("body-v1");
      }
    });
    h.get("www.example.com", "/r");
    h.clock.advance(Duration.ofSeconds(11));
    Resp revalidated = h.get("www.example.com", "/r");
    h.clock.advance(Duration.ofSeconds(30));
    Resp hit = h.get("www.example.com", "/r");

    assertThat(revalidated.status()).isEqualTo(200);
    assertThat(revalidated.text()).isEqualTo("body-v1");
    assertThat(revalidated.cacheStatus()).contains("fwd=stale").contains("fwd-status=304");
    assertThat(origin.last().headers().get("If-None-Match")).isEqualTo("\"v1\"");
    assertThat(hit.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void clientIfNoneMatchIsAnsweredFromCacheWith304() {
    origin.respond(200, "etagged", "Cache-Control", "max-age=60", "ETag", "\"abc\"");
    h.get("www.example.com", "/e");
    Resp r = h.get("www.example.com", "/e", "If-None-Match", "\"abc\"");

    assertThat(r.status()).isEqualTo(304);
    assertThat(r.body().length()).isZero();
    assertThat(r.header("ETag")).isEqualTo("\"abc\"");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void headIsAnsweredFromTheStoredGet() {
    origin.respond(200, "0123456789", "Cache-Control", "max-age=60");
    h.get("www.example.com", "/h");
    Resp head = h.send(HttpMethod.HEAD, "www.example.com", "/h", null);

    assertThat(head.status()).isEqualTo(200);
    assertThat(head.header("Content-Length")).isEqualTo("10");
    assertThat(head.body().length()).isZero();
    assertThat(head.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void rangeOnAStoredObjectIsA206() {
    origin.respond(200, "0123456789", "Cache-Control", "max-age=60");
    h.get("www.example.com", "/range");
    Resp r = h.get("www.example.com", "/range", "Range", "bytes=2-5");
    Resp multi = h.get("www.example.com", "/range", "Range", "bytes=0-1,8-9");
    Resp bad = h.get("www.example.com", "/range", "Range", "bytes=50-60");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.text()).isEqualTo("2345");
    assertThat(r.header("Content-Range")).isEqualTo("bytes 2-5/10");
    assertThat(multi.status()).isEqualTo(206);
    assertThat(multi.header("Content-Type")).startsWith("multipart/byteranges");
    assertThat(multi.text()).contains("01").contains("89");
    assertThat(bad.status()).isEqualTo(416);
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void rangeOnAMissFetchesTheWholeObjectOnceAndAnswers206() {
    origin.respond(200, "abcdefghij", "Cache-Control", "max-age=60");
    Resp r = h.get("www.example.com", "/range-miss", "Range", "bytes=3-4");
    Resp full = h.get("www.example.com", "/range-miss");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.text()).isEqualTo("de");
    assertThat(origin.last().headers().get("Range")).isNull();
    assertThat(full.text()).isEqualTo("abcdefghij");
    assertThat(full.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(origin.count()).isEqualTo(1);
  }

  /**
   * A range request that missed is answered from its own fill's copy of the object. The engine once
   * cut the range from the object after handing it to the storage, so a purge applied while the fill
   * ran (the storage then drops the object at once) turned the answer into "502 object vanished".
   */
  @Test
  void rangeMissRacingAPurgeIsStillAnswered() {
    long appliedBefore = h.edge.purge().agent().appliedCount();
    origin.handle(req -> {
      Addresses.PURGE.publish(h.vertx.eventBus(), new Messages.PurgeCommand("race-1", 1, EdgeHarness.TENANT,
          Messages.PurgeScope.HOST, List.of("www.example.com"), false, h.clock.instant()));
      h.vertx.setPeriodic(5, t -> {
        if (h.edge.purge().agent().appliedCount() > appliedBefore) {
          h.vertx.cancelTimer(t);
          req.response().putHeader("Cache-Control", "max-age=60").end("abcdefghij");
        }
      });
    });

    Resp r = h.get("www.example.com", "/range-purged", "Range", "bytes=3-4");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.text()).isEqualTo("de");
    assertThat(h.get("www.example.com", "/range-purged").cacheStatus()).as("the purge kept it out of storage")
        .contains("fwd=uri-miss");
  }

  /**
   * A client that leaves while its stale object is being revalidated releases the stored body at
   * once; a purge can then free it. The origin's 304 that comes afterwards must not make the request
   * deliver that body to nobody: reading freed memory fails the step (an error log) or, worse,
   * reads whatever the pool put there since.
   */
  @Test
  void aClientGoneBeforeTheRevalidationsAnswerIsNotDeliveredTheBodyItReleased() throws Exception {
    io.vertx.core.Promise<io.vertx.core.http.HttpServerRequest> conditional = io.vertx.core.Promise.promise();
    origin.handle(req -> {
      if (req.getHeader("If-None-Match") == null) {
        req.response().putHeader("Cache-Control", "max-age=1").putHeader("ETag", "\"v1\"").end("body-v1");
      } else {
        conditional.tryComplete(req); // answered by the test, once the client has left
      }
    });
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.kasoku.cacheedge.engine.EdgeRequest");
    List<java.util.logging.LogRecord> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
          errors.add(r);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(capture);
    try {
      h.get("www.example.com", "/gone");
      h.clock.advance(Duration.ofSeconds(2));
      io.vertx.core.net.NetSocket sock = dev.kasoku.common.testing.Await.result(
          h.vertx.createNetClient().connect(h.port(), "127.0.0.1"));
      sock.write("GET /gone HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
      io.vertx.core.http.HttpServerRequest revalidation = dev.kasoku.common.testing.Await.result(conditional.future());
      dev.kasoku.common.testing.Await.result(sock.close());
      CollapsingTest.sleep(200); // the edge sees the client leave and lets go of the stored body
      long appliedBefore = h.edge.purge().agent().appliedCount();
      Addresses.PURGE.publish(h.vertx.eventBus(), new Messages.PurgeCommand("gone-1", 1, EdgeHarness.TENANT,
          Messages.PurgeScope.HOST, List.of("www.example.com"), false, h.clock.instant()));
      dev.kasoku.common.testing.Await.until("the purge applied",
          () -> h.edge.purge().agent().appliedCount() > appliedBefore);
      revalidation.response().setStatusCode(304).putHeader("Cache-Control", "max-age=60")
          .putHeader("ETag", "\"v1\"").end();
      CollapsingTest.sleep(300);

      assertThat(errors).extracting(java.util.logging.LogRecord::getMessage).isEmpty();
      Resp after = h.get("www.example.com", "/gone");
      assertThat(after.text()).isEqualTo("body-v1");
      assertThat(after.cacheStatus()).as("purged: filled again").contains("fwd=uri-miss");
    } finally {
      log.removeHandler(capture);
    }
  }

  @Test
  void varyKeepsOneVariantPerHeaderValue() {
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=60").putHeader("Vary", "Accept-Language")
        .end("lang=" + req.getHeader("Accept-Language")));
    Resp en1 = h.get("www.example.com", "/v", "Accept-Language", "en");
    Resp fr1 = h.get("www.example.com", "/v", "Accept-Language", "fr");
    Resp en2 = h.get("www.example.com", "/v", "Accept-Language", "en");
    Resp fr2 = h.get("www.example.com", "/v", "Accept-Language", "fr");

    assertThat(en1.text()).isEqualTo("lang=en");
    assertThat(fr1.text()).isEqualTo("lang=fr");
    assertThat(en2.text()).isEqualTo("lang=en");
    assertThat(fr2.text()).isEqualTo("lang=fr");
    assertThat(en2.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void staleWhileRevalidateServesStaleAndRevalidatesOnceInTheBackground() {
    AtomicInteger version = new AtomicInteger(1);
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=10, stale-while-revalidate=60")
        .end("v" + version.get()));
    h.get("www.example.com", "/swr");
    version.set(2);
    h.clock.advance(Duration.ofSeconds(15));
    Resp stale = h.get("www.example.com", "/swr");
    Resp stale2 = h.get("www.example.com", "/swr");

    assertThat(stale.text()).isEqualTo("v1");
    assertThat(stale.cacheStatus()).contains("hit").contains("stale-while-revalidate");
    // the background revalidation lands shortly; then the new version is served fresh
    Resp fresh = awaitBody("/swr", "v2");
    assertThat(fresh.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(origin.count()).isBetween(2, 3);
    assertThat(stale2.status()).isEqualTo(200);
  }

  /**
   * Soft purge without any stale-while-revalidate allowance: the next request waits for the
   * revalidation and gets the new version. Regression: soft-purged objects were served stale
   * whenever the response did not forbid it, even with no stale-while-revalidate anywhere.
   */
  @Test
  void softPurgedObjectWithoutStaleWhileRevalidateIsRevalidatedBeforeItIsServed() {
    AtomicInteger version = new AtomicInteger(1);
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=600").end("v" + version.get()));
    h.get("www.example.com", "/soft");
    version.set(2);
    softPurge("/soft");
    Resp next = h.get("www.example.com", "/soft");

    assertThat(next.text()).isEqualTo("v2");
    assertThat(next.cacheStatus()).contains("fwd=stale");
    assertThat(origin.count()).isEqualTo(2);
  }

  /** Soft purge where the origin allows stale-while-revalidate: served stale once, revalidated behind. */
  @Test
  void softPurgedObjectIsServedStaleWhileRevalidatingWhereTheOriginAllowsIt() {
    AtomicInteger version = new AtomicInteger(1);
    origin.handle(req -> req.response().putHeader("Cache-Control", "max-age=600, stale-while-revalidate=30")
        .end("v" + version.get()));
    h.get("www.example.com", "/soft-swr");
    version.set(2);
    softPurge("/soft-swr");
    Resp stale = h.get("www.example.com", "/soft-swr");

    assertThat(stale.text()).isEqualTo("v1");
    assertThat(stale.cacheStatus()).contains("hit").contains("stale-while-revalidate");
    assertThat(awaitBody("/soft-swr", "v2").cacheStatus()).startsWith("Kasoku; hit");
  }

  private void softPurge(String path) {
    String primary = new SiteUrlKeys(h.edge.runtime().sites()).primaryKeys(EdgeHarness.TENANT, "www.example.com", path)
        .get(0);
    // the fill is stored as the origin's last byte arrives, which can be just after the client has it
    long deadline = System.currentTimeMillis() + 5000;
    while (h.edge.runtime().storage().invalidate(new Selection.Key(EdgeHarness.TENANT, primary), true) != 1) {
      assertThat(System.currentTimeMillis()).as("object stored before the purge").isLessThan(deadline);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void staleIfErrorServesStoredResponseWhenOriginAnswers5xx() {
    origin.respond(200, "good", "Cache-Control", "max-age=10, stale-if-error=300");
    h.get("www.example.com", "/sie");
    origin.respond(503, "down");
    h.clock.advance(Duration.ofSeconds(20));
    Resp r = h.get("www.example.com", "/sie");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("good");
    assertThat(r.cacheStatus()).contains("stale-if-error");
  }

  @Test
  void staleIfErrorServesStoredResponseWhenOriginRefuses() {
    origin.respond(200, "good", "Cache-Control", "max-age=10, stale-if-error=300");
    h.get("www.example.com", "/sie2");
    origin.close();
    h.clock.advance(Duration.ofSeconds(20));
    Resp r = h.get("www.example.com", "/sie2");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("good");
    assertThat(r.cacheStatus()).contains("stale-if-error");
  }

  @Test
  void surrogateHeadersAreConsumedNotForwarded() {
    origin.respond(200, "x", "Surrogate-Control", "max-age=60", "Cache-Control", "no-cache",
        "Surrogate-Key", "a b", "Kasoku-CDN-Cache-Control", "max-age=60");
    h.get("www.example.com", "/sk");
    Resp r = h.get("www.example.com", "/sk");

    assertThat(r.header("Surrogate-Key")).isNull();
    assertThat(r.header("Surrogate-Control")).isNull();
    assertThat(r.header("Kasoku-CDN-Cache-Control")).isNull();
    assertThat(r.cacheStatus()).startsWith("Kasoku; hit");
  }

  /**
   * CDN-Cache-Control is addressed to every CDN (RFC 9213 §3): the edge obeys it and forwards it, on
   * the miss and on the hit, so a CDN in front of the edge can obey it too; Cache-Control reaches
   * the client unchanged beside it.
   */
  @Test
  void cdnCacheControlIsObeyedAndForwarded() {
    origin.respond(200, "x", "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60, stale-if-error=10");
    Resp miss = h.get("www.example.com", "/cdn-cc");
    Resp hit = h.get("www.example.com", "/cdn-cc");

    assertThat(miss.header("CDN-Cache-Control")).isEqualTo("max-age=60, stale-if-error=10");
    assertThat(hit.cacheStatus()).startsWith("Kasoku; hit");
    assertThat(hit.header("CDN-Cache-Control")).isEqualTo("max-age=60, stale-if-error=10");
    assertThat(hit.header("Cache-Control")).isEqualTo("no-store");
  }

  private Resp awaitBody(String path, String body) {
    long deadline = System.currentTimeMillis() + 5000;
    Resp r;
    do {
      r = h.get("www.example.com", path);
      if (r.text().equals(body)) {
        return r;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("never got " + body + ", last: " + r.text());
  }
}
