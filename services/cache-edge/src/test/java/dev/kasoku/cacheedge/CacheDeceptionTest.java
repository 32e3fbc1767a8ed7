package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.testing.Await;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Web cache deception: a site whose rules cache by extension (or by defaultTtl alone), and an
 * origin that, as many frameworks do, answers any suffix of {@code /account/settings} with the
 * signed-in user's private page and no Cache-Control. Regression: the victim's page was stored for a
 * day under the {@code .css} key and served to the next client without a cookie.
 */
class CacheDeceptionTest {
  private static final String HOST = "a.example";
  private EdgeHarness h;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin().handle(CacheDeceptionTest::framework);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  /**
   * The origin: under /account/ the page of whoever the cookie says, as HTML, for any suffix (the
   * framework strips ";..." and decodes "%2F", "%3F" and "..%2f"); real stylesheets under /static/.
   */
  private static void framework(HttpServerRequest req) {
    String cookie = req.getHeader("Cookie");
    String user = cookie == null ? "anonymous" : cookie.replace("session=", "");
    if (req.uri().startsWith("/static/") && req.uri().endsWith(".css")) {
      req.response().putHeader("Content-Type", "text/css").end("body{color:red}");
    } else if (req.uri().startsWith("/account/") || req.uri().contains("account")) {
      req.response().putHeader("Content-Type", "text/html; charset=utf-8")
          .end("<html>settings of " + user + "</html>");
    } else {
      req.response().putHeader("Content-Type", "application/json").end("{\"user\":\"" + user + "\"}");
    }
  }

  private void cssRule(String extra) {
    h.site(HOST, origin, "\"rules\":[{\"match\":{\"pathRegex\":\"\\\\.(css|js)$\"},\"ttl\":\"1d\"}]"
        + (extra == null ? "" : "," + extra));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/account/settings/x.css", "/account/settings;x.css", "/account/settings%2Fx.css",
      "/account/settings%3Fx.css", "/account/settings/..%2fx.css", "/account/settings/x.js"})
  void aPrivatePageUnderAStaticLookingPathIsNeverServedToSomeoneElse(String path) {
    cssRule(null);

    Resp victim = h.get(HOST, path, "Cookie", "session=VICTIM");
    Resp attacker = h.get(HOST, path);

    assertThat(victim.text()).contains("VICTIM");
    assertThat(victim.cacheStatus()).contains("detail=deception-guard").doesNotContain("stored");
    assertThat(attacker.text()).doesNotContain("VICTIM");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aContentTypeThatContradictsTheExtensionIsNotStoredEvenWithoutACookie() {
    cssRule(null);

    Resp first = h.get(HOST, "/account/settings/x.css");
    h.get(HOST, "/account/settings/x.css");

    assertThat(first.cacheStatus()).contains("fwd=uri-miss").contains("detail=deception-guard");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void aStylesheetThatIsOneIsStoredByTheRule() {
    cssRule(null);

    Resp first = h.get(HOST, "/static/app.css");
    Resp second = h.get(HOST, "/static/app.css");

    assertThat(first.cacheStatus()).contains("stored");
    assertThat(second.cacheStatus()).contains("hit");
    assertThat(origin.count()).isEqualTo(1);
  }

  /** The defaultTtl-only case: no rule at all, and a path without an extension the guard could judge. */
  @Test
  void aCookieRequestsResponseIsNotStoredWhenOnlyTheDefaultTtlGivesItALifetime() {
    h.site(HOST, origin, "\"defaultTtl\":\"60s\"");

    Resp victim = h.get(HOST, "/account/settings", "Cookie", "session=VICTIM");
    Resp attacker = h.get(HOST, "/account/settings");

    assertThat(victim.cacheStatus()).contains("detail=cookie");
    assertThat(attacker.text()).doesNotContain("VICTIM");
    assertThat(origin.count()).isEqualTo(2);
  }

  /** A prefix rule and an origin that resolves "..%2f" itself: the cache and the origin disagree on the path. */
  @Test
  void aDotDotEncodedSlashUnderAPrefixRuleDoesNotStoreACookieRequestsPage() {
    h.site(HOST, origin, "\"rules\":[{\"match\":{\"pathPrefix\":\"/static/\"},\"ttl\":\"1d\"}]");

    Resp victim = h.get(HOST, "/static/..%2f..%2faccount/settings", "Cookie", "session=VICTIM");
    Resp attacker = h.get(HOST, "/static/..%2f..%2faccount/settings");

    assertThat(victim.text()).contains("VICTIM");
    assertThat(victim.cacheStatus()).contains("detail=cookie");
    assertThat(attacker.text()).doesNotContain("VICTIM");
  }

  @Test
  void theOriginsOwnFreshnessStillLetsACookieRequestsResponseBeShared() {
    origin.respond(200, "shared", "Cache-Control", "max-age=60", "Content-Type", "text/html");
    h.site(HOST, origin, "\"defaultTtl\":\"60s\"");

    Resp first = h.get(HOST, "/page", "Cookie", "session=A");
    Resp second = h.get(HOST, "/page");

    assertThat(first.cacheStatus()).contains("stored");
    assertThat(second.cacheStatus()).contains("hit");
  }

  @Test
  void aRuleThatIgnoresCookiesStoresCookieRequestsByItsTtl() {
    h.site(HOST, origin, "\"rules\":[{\"match\":{\"pathPrefix\":\"/api/\"},\"ttl\":\"1h\",\"cookies\":\"ignore\"}]");

    Resp first = h.get(HOST, "/api/catalogue", "Cookie", "analytics=1");
    Resp second = h.get(HOST, "/api/catalogue");

    assertThat(first.cacheStatus()).contains("stored");
    assertThat(second.cacheStatus()).contains("hit");
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void aSiteMayTurnTheGuardOff() {
    cssRule("\"deceptionGuard\":false");

    Resp first = h.get(HOST, "/account/settings/x.css");
    Resp second = h.get(HOST, "/account/settings/x.css");

    assertThat(first.cacheStatus()).contains("stored");
    assertThat(second.cacheStatus()).contains("hit");
  }

  @Test
  void eachGuardedResponseIsCountedForItsSite() throws InterruptedException {
    List<Messages.CounterDeltas> deltas = new CopyOnWriteArrayList<>();
    Await.result(h.vertx.eventBus().<Messages.CounterDeltas>consumer(Addresses.METRICS_EDGE.address(), m -> {
      deltas.add(m.body());
      m.reply(null);
    }).completion());
    cssRule(null);

    h.get(HOST, "/account/settings/x.css", "Cookie", "session=VICTIM");
    h.get(HOST, "/account/settings;x.css");
    h.get(HOST, "/static/app.css");

    long deadline = System.currentTimeMillis() + 5000;
    while (guarded(deltas) < 2 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(guarded(deltas)).isEqualTo(2);
  }

  private static long guarded(List<Messages.CounterDeltas> deltas) {
    return deltas.stream().flatMap(d -> d.rows().stream())
        .filter(r -> r.tenant().equals(EdgeHarness.TENANT) && r.site().equals(HOST.replace('.', '-')))
        .mapToLong(r -> r.counters().getOrDefault("deceptionGuard", 0L)).sum();
  }
}
