package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every method reaches the origin; only GET/HEAD come from cache; unsafe methods invalidate. */
class MethodsTest {
  private EdgeHarness h;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin().handle(req -> req.response().putHeader("Cache-Control", "max-age=60")
        .putHeader("X-Method", req.method().name()).end("m=" + req.method().name()));
    h.site("m.example.com", origin, null);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  @Test
  void everyMethodReachesTheOriginWithItsBody() {
    for (String m : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "BREW")) {
      Resp r = h.send(HttpMethod.valueOf(m), "m.example.com", "/x", Buffer.buffer("payload-" + m));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-Method")).isEqualTo(m);
      assertThat(origin.last().method()).isEqualTo(m);
      assertThat(origin.last().bodyBytes()).isEqualTo(("payload-" + m).length());
      assertThat(r.cacheStatus()).contains("fwd=method");
    }
    h.send(HttpMethod.HEAD, "m.example.com", "/head-miss", null);
    assertThat(origin.last().method()).isEqualTo("HEAD");
  }

  @Test
  void unsafeMethodsAreNeverAnsweredFromCache() {
    h.send(HttpMethod.POST, "m.example.com", "/p", Buffer.buffer("a"));
    h.send(HttpMethod.POST, "m.example.com", "/p", Buffer.buffer("a"));
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void successfulUnsafeMethodInvalidatesTheStoredUrl() {
    h.get("m.example.com", "/doc");
    assertThat(h.get("m.example.com", "/doc").cacheStatus()).startsWith("Kasoku; hit");
    h.send(HttpMethod.PUT, "m.example.com", "/doc", Buffer.buffer("new"));
    Resp after = h.get("m.example.com", "/doc");

    assertThat(after.cacheStatus()).contains("fwd=uri-miss");
    assertThat(origin.count()).isEqualTo(3);
  }

  @Test
  void unsafeMethodInvalidatesItsLocationOnTheSameHostOnly() {
    origin.handle(req -> {
      if (req.method() == HttpMethod.POST) {
        req.response().setStatusCode(201).putHeader("Location", "http://m.example.com/created")
            .putHeader("Content-Location", "https://elsewhere.example.org/x").end();
      } else {
        req.response().putHeader("Cache-Control", "max-age=60").end("page");
      }
    });
    h.get("m.example.com", "/created");
    h.send(HttpMethod.POST, "m.example.com", "/collection", Buffer.buffer("{}"));
    Resp after = h.get("m.example.com", "/created");

    assertThat(after.cacheStatus()).contains("fwd=uri-miss");
  }

  /**
   * RFC 9111 §4.4: an invalidation through Location must not cross origins, and the scheme is part of
   * the origin. The engine once compared the host only, so an {@code https://} Location in the answer
   * to a plain-HTTP POST dropped the object.
   */
  @Test
  void unsafeMethodDoesNotInvalidateALocationOfAnotherScheme() {
    origin.handle(req -> {
      if (req.method() == HttpMethod.POST) {
        req.response().setStatusCode(201).putHeader("Location", "https://m.example.com/kept").end();
      } else {
        req.response().putHeader("Cache-Control", "max-age=60").end("page");
      }
    });
    h.get("m.example.com", "/kept");
    h.send(HttpMethod.POST, "m.example.com", "/collection", Buffer.buffer("{}"));

    assertThat(h.get("m.example.com", "/kept").cacheStatus()).startsWith("Kasoku; hit");
  }

  @Test
  void failedUnsafeMethodDoesNotInvalidate() {
    h.get("m.example.com", "/keep");
    origin.handle(req -> req.response().setStatusCode(req.method() == HttpMethod.DELETE ? 500 : 200)
        .putHeader("Cache-Control", "max-age=60").end("x"));
    h.send(HttpMethod.DELETE, "m.example.com", "/keep", null);
    assertThat(h.get("m.example.com", "/keep").cacheStatus()).startsWith("Kasoku; hit");
  }
}
