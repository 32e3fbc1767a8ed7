package dev.kasoku.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.http.Health;
import dev.kasoku.common.service.ServiceContext;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.embedded.EmbeddedStore;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.portal.impl.PortalAssets;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The portal role on an API router of its own: its files under /portal/ with the right types and
 * the security headers, nothing outside its two roots, every module the pages import present, and
 * no page that builds markup from strings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PortalVerticleTest {
  private Vertx vertx;
  private Path dir;
  private Store store;
  private HttpServer server;
  private WebClient http;
  private Health health;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    dir = TempStores.newDirectory();
    store = Await.result(EmbeddedStore.open(vertx, dir.resolve("store"), Clock.systemUTC()));
    ApiRouter api = Await.result(ApiRouter.load(vertx));
    health = new Health();
    ServiceContext ctx = new ServiceContext(ConfigLoader.load(Map.of("KASOKU_DATA_DIR", dir.toString(),
        "KASOKU_SECRET_KEY", "portal-test-secret-key-0123456789abcdef")), store, health, api, Clock.systemUTC());
    Await.result(vertx.deployVerticle(new PortalVerticle(ctx)));
    server = Await.result(vertx.createHttpServer().requestHandler(api.build()).listen(0, "127.0.0.1"));
    http = WebClient.create(vertx);
  }

  @AfterAll
  void stop() {
    Await.result(server.close());
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  private HttpResponse<Buffer> get(String path) {
    return Await.result(http.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", path).followRedirects(false).send());
  }

  @Test
  void thePagesAndUplotAreServedWithTheirTypesAndTheSecurityHeaders() {
    Map<String, String> types = Map.of("/portal/", "text/html", "/portal/style.css", "text/css",
        "/portal/js/app.js", "text/javascript", "/portal/vendor/uplot/uPlot.esm.js", "text/javascript",
        "/portal/vendor/uplot/uPlot.min.css", "text/css", "/portal/favicon.svg", "image/svg+xml");
    types.forEach((path, type) -> {
      HttpResponse<Buffer> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(path).startsWith(type);
      assertThat(r.getHeader("Content-Security-Policy")).as(path).isEqualTo(PortalAssets.CSP);
      assertThat(r.getHeader("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
      assertThat(r.getHeader("X-Frame-Options")).as(path).isEqualTo("DENY");
      assertThat(r.getHeader("Referrer-Policy")).as(path).isEqualTo("no-referrer");
    });
    assertThat(Await.result(health.report(vertx)).getJsonObject("checks").getString("role:portal")).isEqualTo("up");
  }

  @Test
  void nothingOutsideThePortalsFilesCanBeNamed() {
    for (String path : List.of("/portal/..%2Fopenapi.yaml", "/portal/js/..%2f..%2fMETA-INF/MANIFEST.MF",
        "/portal/%2e%2e/pom.xml", "/portal/js/", "/portal/vendor/uplot/", "/portal/vendor/uplot/..%2F..%2Findex.html",
        "/portal/dev/kasoku/portal/PortalVerticle.class", "/portal/vendor/uplot/uPlot.d.ts%00.js", "/portal/a\\b")) {
      HttpResponse<Buffer> r = get(path);
      assertThat(r.statusCode()).as(path).isIn(400, 404);
    }
    HttpResponse<Buffer> post = Await.result(http.request(HttpMethod.POST, server.actualPort(), "127.0.0.1", "/portal/").send());
    assertThat(post.statusCode()).isEqualTo(405);
    HttpResponse<Buffer> bare = get("/portal");
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.getHeader("Location")).isEqualTo("/portal/");
  }

  /** The account page lists the service documents by name: the build must have bundled each one. */
  @Test
  void everyServiceDocumentTheAccountPageListsIsBundledAndServedAsText() {
    String account = get("/portal/js/views/account.js").bodyAsString();
    Matcher list = Pattern.compile("DOCS = \\[([^\\]]+)\\]").matcher(account);
    assertThat(list.find()).isTrue();
    Matcher names = Pattern.compile("'([a-z0-9-]+\\.md)'").matcher(list.group(1));
    int count = 0;
    while (names.find()) {
      HttpResponse<Buffer> r = get("/portal/docs/" + names.group(1));
      assertThat(r.statusCode()).as(names.group(1)).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).as(names.group(1)).startsWith("text/markdown");
      assertThat(r.getHeader("Content-Security-Policy")).isEqualTo(PortalAssets.CSP);
      assertThat(r.bodyAsString()).as(names.group(1)).startsWith("#");
      count++;
    }
    assertThat(count).as("documents listed").isGreaterThanOrEqualTo(8);
    assertThat(get("/portal/docs/openapi.yaml").statusCode()).as("only the Markdown pages").isEqualTo(404);
  }

  @Test
  void everyModuleAPageImportsIsServed() {
    Pattern imports = Pattern.compile("from '([^']+)'");
    List<String> modules = List.of("js/app.js", "js/api.js", "js/dom.js", "js/i18n.js", "js/views/dashboard.js",
        "js/views/sites.js", "js/views/purge.js", "js/views/logs.js", "js/views/admin.js", "js/views/audit.js",
        "js/views/notifications.js", "js/views/account.js", "js/markdown.js", "js/diff.js");
    for (String module : modules) {
      String text = get("/portal/" + module).bodyAsString();
      assertThat(text).as(module).isNotNull();
      // values from the API go in as text: no page builds markup from strings
      assertThat(text).as(module).doesNotContain("innerHTML").doesNotContain("outerHTML")
          .doesNotContain("insertAdjacentHTML").doesNotContain("document.write").doesNotContain("eval(");
      Matcher m = imports.matcher(text);
      while (m.find()) {
        String target = Path.of("/portal/" + module).getParent().resolve(m.group(1)).normalize().toString();
        assertThat(get(target).statusCode()).as("%s imports %s", module, target).isEqualTo(200);
      }
    }
  }
}
