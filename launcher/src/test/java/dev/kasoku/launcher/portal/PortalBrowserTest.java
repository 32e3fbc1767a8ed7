package dev.kasoku.launcher.portal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.launcher.Launcher;
import dev.kasoku.launcher.e2e.MonolithEnv;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The portal in a real headless Chromium against a real monolith (embedded store, every role) and
 * real origin servers on loopback: what a customer does every day, checked end to end, and the
 * portal's security properties (HttpOnly session, CSRF, CSP, inert API values) checked in the
 * browser. Every test leaves screenshots in {@code target/portal-screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PortalBrowserTest {
  private static final String OPERATOR = "portal-operator-token-with-at-least-32-characters";
  private static final String SECRET = "portal-secret-key-with-at-least-32-characters!";
  private static final String PASSWORD = "correct horse battery staple 42";
  private static final String XSS = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";

  private Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private Launcher launcher;
  private HttpServer originA;
  private HttpServer originB;
  private final Map<String, AtomicInteger> originHits = new ConcurrentHashMap<>();
  private int edgePort;
  private String tenant;
  private String adminKey;
  private String portal;

  @BeforeAll
  void start() throws Exception {
    dataDir = Files.createTempDirectory("kasoku-portal-test-");
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    originA = origin("A");
    originB = origin("B");
    List<Integer> ports = FreePorts.take(2);
    edgePort = ports.get(0);
    Map<String, String> env = MonolithEnv.of(dataDir, edgePort, ports.get(1), SECRET, OPERATOR);
    env.put("KASOKU_REGION", "eu-test-1");
    launcher = Launcher.start(ConfigLoader.load(env)).await(60, TimeUnit.SECONDS);
    portal = "http://127.0.0.1:" + launcher.apiPort() + "/portal/";
    HttpResponse<Buffer> created = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", "Portal"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    tenant = created.bodyAsJsonObject().getString("id");
    adminKey = created.bodyAsJsonObject().getString("adminApiKey");
    for (String[] u : new String[][] {{"alice", "admin"}, {"vera", "viewer"}, {"ed", "editor"}, {"pat", "viewer"}}) {
      HttpResponse<Buffer> r = api(HttpMethod.POST, "/v1/tenants/" + tenant + "/users", adminKey,
          new JsonObject().put("username", u[0]).put("password", PASSWORD).put("role", u[1]));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
    Await.result(vertx.close());
  }

  /** An origin that answers "{name}:{path}", cacheable for 5 minutes, counting what it was asked. */
  private HttpServer origin(String name) {
    return Await.result(vertx.createHttpServer().requestHandler(req -> {
      originHits.computeIfAbsent(name + req.path(), k -> new AtomicInteger()).incrementAndGet();
      req.response().putHeader("Cache-Control", "max-age=300").putHeader("Content-Type", "text/plain")
          .end(name + ":" + req.path());
    }).listen(0, "127.0.0.1"));
  }

  private HttpResponse<Buffer> api(HttpMethod method, String path, String key, JsonObject body) {
    var req = http.request(method, launcher.apiPort(), "127.0.0.1", path);
    if (key != null) {
      req.bearerTokenAuthentication(key);
    }
    return Await.result(body == null ? req.send() : req.sendJsonObject(body));
  }

  private HttpResponse<Buffer> edge(String host, String path, Map<String, String> headers) {
    var req = http.get(edgePort, "127.0.0.1", path).putHeader("Host", host);
    headers.forEach(req::putHeader);
    return Await.result(req.send());
  }

  /** Creates a site on origin A and waits until the edge serves it (that first request is a miss). */
  private void site(String id, String host) throws InterruptedException {
    HttpResponse<Buffer> put = api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/" + id, adminKey, new JsonObject()
        .put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + originA.actualPort())))
        .put("defaultTtl", "60s"));
    assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
    long deadline = System.currentTimeMillis() + 10_000;
    while (edge(host, "/probe", Map.of()).statusCode() != 200) {
      assertThat(System.currentTimeMillis()).as("the edge serves %s", host).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private Browser browser(String test) throws Exception {
    return new Browser(test, "en-US");
  }

  private void loginAs(Browser b, String user) {
    b.open(portal);
    b.waitFor("#login-form");
    b.login(tenant, user, PASSWORD);
    b.waitFor("#nav-dashboard");
  }

  @Test
  void theDashboardShowsTheTrafficSentThroughTheEdge() throws Exception {
    String host = "www.dash.portal.test";
    site("dash", host);
    // 1 probe (miss) + 3 rounds over 3 objects: 10 requests, 3 + 1 misses, 6 hits, 4 origin fetches
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3; i++) {
        assertThat(edge(host, "/obj/" + i, Map.of()).statusCode()).isEqualTo(200);
      }
    }
    // the edge flushes its counters every second: wait until the API has folded them
    long deadline = System.currentTimeMillis() + 15_000;
    while (true) {
      JsonObject s = api(HttpMethod.GET, "/v1/tenants/" + tenant + "/stats?site=dash&fields=requests", adminKey, null)
          .bodyAsJsonObject();
      long sum = s.getJsonObject("series").getJsonArray("requests").stream()
          .mapToLong(v -> v == null ? 0 : ((Number) v).longValue()).sum();
      if (sum >= 10) {
        assertThat(sum).isEqualTo(10);
        break;
      }
      assertThat(System.currentTimeMillis()).as("stats folded").isLessThan(deadline);
      Thread.sleep(200);
    }
    try (Browser b = browser("dashboard")) {
      loginAs(b, "alice");
      b.waitFor("#tile-requests");
      new Select(b.find("#dash-site")).selectByValue("dash");
      b.waitForText("#tile-requests .value", "10");
      assertThat(b.find("#tile-requests").getDomAttribute("data-value")).isEqualTo("10");
      assertThat(b.find("#tile-origin-requests").getDomAttribute("data-value")).isEqualTo("4");
      assertThat(b.find("#tile-hit-ratio .value").getText()).isEqualTo("60%");
      assertThat(b.find("#tile-offload").getDomAttribute("data-value")).isNotEmpty();
      assertThat(b.find("#tile-status2xx").getDomAttribute("data-value")).isEqualTo("10");
      assertThat(b.find("#tile-p50").getDomAttribute("data-value")).isNotEmpty();
      assertThat(b.all("#charts canvas")).as("five uPlot charts").hasSizeGreaterThanOrEqualTo(5);
      b.waitFor("#usage-table");
      assertThat(b.find("#usage-table").getText()).contains("dash");
      b.waitFor("#top-sites-table");
      assertThat(b.find("#top-sites-table tr.top-site[data-site='dash']").getText()).contains("10");
      b.script("arguments[0].scrollIntoView()", b.find("#top-sites"));
      b.screenshot("top-sites");
      b.script("window.scrollTo(0, 0)");
      b.screenshot("range-1h");
      b.find("#range-live").click();
      b.waitForText("#dash-status", "every second");
      b.wait.until(d -> b.find("#tile-requests").getDomAttribute("data-value").equals("10"));
      edge(host, "/obj/0", Map.of());
      // the live view polls the 1 s series every second: the new request shows without a reload
      b.wait.until(d -> b.find("#tile-requests").getDomAttribute("data-value").equals("11"));
      b.screenshot("live");
      assertThat(b.console()).as("no CSP violation or script error").noneMatch(m ->
          m.contains("Content Security Policy") || m.contains("Uncaught"));
    }
  }

  @Test
  void aSiteEditedInTheFormIsServedByTheEdgeAndApiErrorsShowAtTheirField() throws Exception {
    String host = "www.edit.portal.test";
    site("edit", host);
    assertThat(edge(host, "/page", Map.of()).bodyAsString()).isEqualTo("A:/page");
    try (Browser b = browser("site-edit")) {
      loginAs(b, "ed");
      b.find("#nav-sites").click();
      b.waitFor("a.site-link[href='#/sites/edit']").click();
      b.waitFor("#site-form");
      b.type("#site-defaultTtl", "forever");
      b.find("#site-save").click();
      b.waitFor("#site-defaultTtl-err .api-error");
      assertThat(b.find("#site-defaultTtl-err").getText()).contains("defaultTtl");
      b.screenshot("validation-error");
      b.type("#site-defaultTtl", "1h");
      b.type("#site-origins", "http://127.0.0.1:" + originB.actualPort());
      b.find("#site-save").click();
      b.waitForText("#site-saved", "2");
      b.screenshot("saved");
      assertThat(b.find("#versions-table").getText()).contains("user:ed");
    }
    // the edge applies the new version live: a new path now comes from origin B
    long deadline = System.currentTimeMillis() + 10_000;
    while (!edge(host, "/fresh", Map.of()).bodyAsString().equals("B:/fresh")) {
      assertThat(System.currentTimeMillis()).as("the edge serves the new origin").isLessThan(deadline);
      Thread.sleep(50);
    }
    JsonObject current = api(HttpMethod.GET, "/v1/tenants/" + tenant + "/sites/edit", adminKey, null).bodyAsJsonObject();
    assertThat(current.getInteger("version")).isEqualTo(2);
    assertThat(current.getJsonObject("config").getString("defaultTtl")).isEqualTo("1h");
    try (Browser b = browser("site-restore")) {
      loginAs(b, "ed");
      b.open(portal + "#/sites/edit");
      // the diff of the last two versions: what the form changed, and nothing else
      b.waitFor("#diff-lines");
      assertThat(b.all("#diff-lines .del").stream().map(WebElement::getText).toList())
          .anyMatch(l -> l.contains("\"defaultTtl\": \"60s\"")).anyMatch(l -> l.contains(String.valueOf(originA.actualPort())));
      assertThat(b.all("#diff-lines .add").stream().map(WebElement::getText).toList())
          .anyMatch(l -> l.contains("\"defaultTtl\": \"1h\"")).anyMatch(l -> l.contains(String.valueOf(originB.actualPort())))
          .noneMatch(l -> l.contains("hostnames"));
      b.script("arguments[0].scrollIntoView()", b.find("#site-diff"));
      b.screenshot("diff");
      new Select(b.find("#diff-from")).selectByValue("2");
      b.waitFor("#diff-same");
      b.waitFor("button.restore[data-version='1']").click();
      b.wait.until(d -> b.find("#site-title") != null && b.find("#site-defaultTtl").getDomProperty("value").equals("60s"));
      b.screenshot("restored");
    }
    assertThat(api(HttpMethod.GET, "/v1/tenants/" + tenant + "/sites/edit", adminKey, null).bodyAsJsonObject()
        .getInteger("version")).isEqualTo(3);
  }

  @Test
  void aPurgeFromThePortalIsDoneOnEveryEdgeAndTheNextRequestIsAMiss() throws Exception {
    String host = "www.purge.portal.test";
    site("purge", host);
    edge(host, "/p.css", Map.of());
    assertThat(edge(host, "/p.css", Map.of()).getHeader("Cache-Status")).contains("hit");
    int fetched = originHits.get("A/p.css").get();
    try (Browser b = browser("purge")) {
      loginAs(b, "alice");
      b.find("#nav-purge").click();
      b.waitFor("#purge-form");
      new Select(b.find("#purge-scope")).selectByValue("urls");
      b.type("#purge-values", "http://" + host + "/p.css");
      b.find("#purge-submit").click();
      b.wait.until(ExpectedConditions.attributeToBe(org.openqa.selenium.By.cssSelector("#purge-state"), "data-status", "done"));
      assertThat(b.find("#recent-purges").getText()).contains(b.find("#purge-id").getText());
      b.screenshot("done");
    }
    HttpResponse<Buffer> after = edge(host, "/p.css", Map.of());
    assertThat(after.getHeader("Cache-Status")).contains("miss");
    assertThat(originHits.get("A/p.css").get()).isEqualTo(fetched + 1);
  }

  @Test
  void aViewerSeesButCannotChangeAndTheApiRefusesTheCalls() throws Exception {
    site("view", "www.view.portal.test");
    try (Browser b = browser("viewer")) {
      loginAs(b, "vera");
      assertThat(b.all("#nav-admin")).as("no admin link for a viewer").isEmpty();
      assertThat(b.all("#nav-purge")).as("no purge link for a viewer").isEmpty();
      assertThat(b.all("#nav-audit")).isEmpty();
      b.open(portal + "#/admin");
      b.waitFor("#not-permitted");
      b.screenshot("admin-refused");
      b.open(portal + "#/sites/view");
      b.waitFor("#site-form");
      assertThat(b.all("#site-save")).as("no save button").isEmpty();
      assertThat(b.all("#site-json-save")).isEmpty();
      assertThat(b.find("#site-hostnames").getDomProperty("readOnly")).isEqualTo("true");
      b.waitFor("#read-only");
      b.screenshot("site-read-only");
      // the API refuses the calls the UI does not offer, with the session and its anti-CSRF header
      Object users = b.asyncScript("const done = arguments[arguments.length - 1];"
          + "fetch('/v1/tenants/" + tenant + "/users', {credentials: 'same-origin'}).then(r => done(r.status));");
      assertThat(((Number) users).intValue()).isEqualTo(403);
      Object putSite = b.asyncScript("const done = arguments[arguments.length - 1];"
          + "const csrf = document.cookie.match(/kasoku_csrf=([^;]*)/)[1];"
          + "fetch('/v1/tenants/" + tenant + "/sites/view', {method: 'PUT', credentials: 'same-origin',"
          + " headers: {'Content-Type': 'application/json', 'X-Kasoku-CSRF': csrf},"
          + " body: JSON.stringify({hostnames: ['www.view.portal.test'], origins: [{url: 'http://127.0.0.1:1'}]})})"
          + ".then(r => done(r.status));");
      assertThat(((Number) putSite).intValue()).isEqualTo(403);
    }
  }

  @Test
  void theSessionIsAnHttpOnlyStrictCookieStateChangesNeedTheCsrfHeaderAndLogoutRevokesIt() throws Exception {
    try (Browser b = browser("session")) {
      loginAs(b, "alice");
      Cookie session = b.driver.manage().getCookieNamed("kasoku_session");
      assertThat(session).isNotNull();
      assertThat(session.isHttpOnly()).isTrue();
      assertThat(session.getSameSite()).isEqualTo("Strict");
      assertThat(session.getPath()).isEqualTo("/");
      assertThat((String) b.script("return document.cookie")).doesNotContain("kasoku_session").contains("kasoku_csrf=");
      assertThat(((Number) b.script("return localStorage.length + sessionStorage.length")).intValue())
          .as("no token in web storage").isZero();
      // without the anti-CSRF header, the cookie does not authorise a change
      Object noHeader = b.asyncScript("const done = arguments[arguments.length - 1];"
          + "fetch('/v1/tenants/" + tenant + "/ip-allowlist', {method: 'PUT', credentials: 'same-origin',"
          + " headers: {'Content-Type': 'application/json'}, body: '{\"cidrs\":[]}'}).then(r => done(r.status));");
      assertThat(((Number) noHeader).intValue()).isEqualTo(403);
      Object wrongHeader = b.asyncScript("const done = arguments[arguments.length - 1];"
          + "fetch('/v1/tenants/" + tenant + "/ip-allowlist', {method: 'PUT', credentials: 'same-origin',"
          + " headers: {'Content-Type': 'application/json', 'X-Kasoku-CSRF': 'guess'}, body: '{\"cidrs\":[]}'})"
          + ".then(r => done(r.status));");
      assertThat(((Number) wrongHeader).intValue()).isEqualTo(403);
      b.screenshot("logged-in");
      b.find("#logout").click();
      b.waitFor("#login-form");
      b.screenshot("logged-out");
      // the token of the ended session is revoked: presented again (as the cookie), it is refused
      HttpResponse<Buffer> replay = Await.result(http.get(launcher.apiPort(), "127.0.0.1", "/v1/auth/session")
          .putHeader("Cookie", "kasoku_session=" + session.getValue()).send());
      assertThat(replay.statusCode()).isEqualTo(401);
    }
  }

  @Test
  void aLockedOutLoginShowsTheApisExplanation() throws Exception {
    try (Browser b = browser("lockout")) {
      b.open(portal);
      b.waitFor("#login-form");
      for (int i = 0; i < 6; i++) {
        b.login(tenant, "locked-user", "wrong password " + i);
        b.waitFor("#login-error");
      }
      b.waitForText("#login-error", "too many failed logins");
      b.screenshot("locked-out");
    }
  }

  @Test
  void valuesFromTheApiHoldingMarkupStayInert() throws Exception {
    String host = "www.xss.portal.test";
    site("xss", host);
    HttpResponse<Buffer> key = api(HttpMethod.POST, "/v1/tenants/" + tenant + "/api-keys", adminKey,
        new JsonObject().put("name", XSS).put("role", "viewer"));
    assertThat(key.statusCode()).as(key.bodyAsString()).isEqualTo(201);
    edge(host, "/x?q=%3Cscript%3Ewindow.__xss=3%3C/script%3E", Map.of("User-Agent", XSS));
    try (Browser b = browser("xss")) {
      loginAs(b, "alice");
      b.open(portal + "#/admin");
      b.waitFor("#keys-table");
      b.waitForText("#keys-table", "onerror");
      assertThat(b.find("#keys-table").getText()).contains(XSS);
      assertThat(b.all("#keys-table img, #keys-table script")).isEmpty();
      b.screenshot("api-key-name");
      b.open(portal + "#/logs");
      b.wait.until(d -> !b.all(".log-ua").isEmpty() || !b.all("#logs-none").isEmpty());
      long deadline = System.currentTimeMillis() + 15_000;
      while (b.all(".log-ua").stream().noneMatch(e -> e.getText().contains("onerror"))) {
        assertThat(System.currentTimeMillis()).as("the log line arrives").isLessThan(deadline);
        Thread.sleep(500);
        b.find("#logs-show").click();
        Thread.sleep(300);
      }
      assertThat(b.all("#logs-table img, #logs-table script")).isEmpty();
      b.screenshot("log-line");
      assertThat(b.script("return window.__xss === undefined")).isEqualTo(true);
    }
  }

  @Test
  void hostnamesAndACertificateAreManagedFromTheSitePageAndTheCertificatesExpiryIsShown() throws Exception {
    String host = "www.certs.portal.test";
    String second = "static.certs.portal.test";
    site("certs", host);
    SelfSignedCertificates.Generated cert = SelfSignedCertificates.generate(List.of(host, second),
        Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(60)));
    try (Browser b = browser("certificates")) {
      loginAs(b, "ed");
      b.open(portal + "#/sites/certs");
      b.waitFor("#no-cert");
      b.type("#new-hostname", second);
      b.find("#add-hostname").click();
      b.waitForText("#site-saved", "2");
      assertThat(b.find("#hostnames-table").getText()).contains(host).contains(second);
      b.screenshot("hostname-added");
      // PEM text is long: put it in the fields directly instead of typing it key by key
      b.script("document.getElementById('cert-pem').value = arguments[0];"
          + "document.getElementById('key-pem').value = arguments[1];", cert.certificatePem(), cert.privateKeyPem());
      b.find("#cert-upload").click();
      b.waitForText("#site-saved", "3");
      WebElement expiry = b.waitFor("#cert-expiry");
      assertThat(Integer.parseInt(expiry.getDomAttribute("data-days"))).isBetween(58, 60);
      assertThat(expiry.getText()).contains("expires in");
      assertThat(b.find("#cert-expiry time").getDomAttribute("title")).startsWith("UTC ");
      assertThat(b.all("#hostnames-table .badge.ok")).as("both hostnames covered").hasSize(2);
      // the stored key is never returned: the form cannot save this site without dropping it
      assertThat(b.all("#site-save")).isEmpty();
      assertThat(b.all("#hostname-form")).isEmpty();
      b.waitFor("#tls-note");
      b.screenshot("certificate");
      new Select(b.find("#lang")).selectByValue("ja");
      b.waitForText("#site-cert", "有効期限");
      b.screenshot("certificate-ja");
      new Select(b.find("#lang")).selectByValue("en");
      // the list shows when each site's certificate expires
      b.find("#nav-sites").click();
      b.waitForText("#sites-table", "expires in");
      b.screenshot("sites-list");
    }
    JsonObject stored = api(HttpMethod.GET, "/v1/tenants/" + tenant + "/sites/certs", adminKey, null).bodyAsJsonObject();
    assertThat(stored.getInteger("version")).isEqualTo(3);
    assertThat(stored.getJsonArray("hostnames").getList()).containsExactly(host, second);
    assertThat(stored.getJsonObject("config").getJsonObject("tls").getString("notAfter")).isNotBlank();
    assertThat(stored.encode()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void theAccountPageShowsThePlanAndDataLocationRendersTheServiceDocumentsAndChangesThePassword() throws Exception {
    String newPassword = "lantern harbour 58 meadow";
    try (Browser b = browser("account")) {
      loginAs(b, "pat");
      b.find("#nav-account").click();
      b.waitForText("#account-plan-code", "standard");
      assertThat(b.find("#account-region").getText()).isEqualTo("eu-test-1");
      assertThat(b.find("#data-location").getText()).contains("Access logs").contains("never written to disk");
      b.screenshot("account");
      // the service documents come from the jar and are rendered as text: markup in them stays inert
      b.find("a.doc-link-item[href='#/account/docs/portal.md']").click();
      b.waitForText("#doc", "Session and security");
      assertThat(b.find("#doc").getText()).contains("<script>");
      assertThat(b.all("#doc script, #doc img, #doc iframe")).isEmpty();
      assertThat(b.all("#doc table")).isNotEmpty();
      b.screenshot("doc-portal");
      b.open(portal + "#/account/docs/security-controls.md");
      b.waitForText("#doc", "9.2.4");
      b.screenshot("doc-controls");

      b.open(portal + "#/account");
      b.waitFor("#password-form");
      b.type("#pw-current", "not my password at all");
      b.type("#pw-new", newPassword);
      b.type("#pw-again", newPassword);
      b.find("#pw-submit").click();
      b.waitForText("#pw-current-err", "currentPassword");
      b.screenshot("password-wrong");
      b.type("#pw-current", PASSWORD);
      b.type("#pw-new", newPassword);
      b.type("#pw-again", newPassword);
      b.find("#pw-submit").click();
      b.waitFor("#pw-changed");
      b.screenshot("password-changed");
      // the session continues on its new cookie, and a change (logout) still passes the CSRF check
      b.find("#nav-dashboard").click();
      b.waitFor("#tile-requests");
      assertThat(b.all("#login-form")).isEmpty();
      new Select(b.find("#lang")).selectByValue("ja");
      b.open(portal + "#/account");
      b.waitForText("#account-location", "データの保管場所");
      b.screenshot("account-ja");
      assertThat(b.console()).as("no CSP violation or script error").noneMatch(m ->
          m.contains("Content Security Policy") || m.contains("Uncaught"));
      new Select(b.find("#lang")).selectByValue("en");
      b.find("#logout").click();
      b.waitForText("#login-message", "logged out");
    }
    JsonObject login = new JsonObject().put("tenant", tenant).put("username", "pat");
    assertThat(api(HttpMethod.POST, "/v1/auth/login", null, login.copy().put("password", PASSWORD)).statusCode()).isEqualTo(401);
    assertThat(api(HttpMethod.POST, "/v1/auth/login", null, login.copy().put("password", newPassword)).statusCode()).isEqualTo(200);
  }

  @Test
  void everyPortalAnswerCarriesTheStrictCspAndNosniff() {
    for (String path : List.of("/portal/", "/portal/js/app.js", "/portal/vendor/uplot/uPlot.esm.js", "/portal/style.css",
        "/portal/nothing-here.js")) {
      HttpResponse<Buffer> r = Await.result(http.get(launcher.apiPort(), "127.0.0.1", path).send());
      MultiMap h = r.headers();
      assertThat(h.get("Content-Security-Policy")).as(path)
          .contains("script-src 'self'").contains("frame-ancestors 'none'").contains("default-src 'none'")
          .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
      assertThat(h.get("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
    }
    HttpResponse<Buffer> index = Await.result(http.get(launcher.apiPort(), "127.0.0.1", "/portal/").send());
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.getHeader("Content-Type")).startsWith("text/html");
    assertThat(index.bodyAsString()).as("no inline script").doesNotContainPattern("<script(?![^>]*src=)[^>]*>");
    assertThat(Await.result(http.get(launcher.apiPort(), "127.0.0.1", "/portal/vendor/uplot/uPlot.esm.js").send())
        .getHeader("Content-Type")).startsWith("text/javascript");
    for (String outside : List.of("/portal/..%2F..%2Fopenapi.yaml", "/portal/js/..%2f..%2fMETA-INF/MANIFEST.MF",
        "/portal/%2e%2e/%2e%2e/etc/passwd", "/portal/js/", "/portal/dev/kasoku/portal/PortalVerticle.class")) {
      assertThat(Await.result(http.get(launcher.apiPort(), "127.0.0.1", outside).send()).statusCode())
          .as("nothing outside the portal's files: %s", outside).isEqualTo(404);
    }
    HttpResponse<Buffer> bare = Await.result(http.get(launcher.apiPort(), "127.0.0.1", "/portal").followRedirects(false).send());
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.getHeader("Location")).isEqualTo("/portal/");
  }

  @Test
  void theUiSpeaksJapaneseToAJapaneseBrowserAndSwitchesToEnglish() throws Exception {
    try (Browser b = new Browser("japanese", "ja")) {
      b.open(portal);
      b.waitForText("#login-title", "ログイン");
      b.screenshot("login-ja");
      b.login(tenant, "alice", PASSWORD);
      b.waitForText("#nav-dashboard", "ダッシュボード");
      b.waitFor("#tile-requests");
      WebElement time = b.waitFor("#dash-status time");
      assertThat(time.getDomAttribute("title")).startsWith("UTC ").endsWith("Z");
      b.screenshot("dashboard-ja");
      new Select(b.find("#lang")).selectByValue("en");
      b.waitForText("#nav-dashboard", "Dashboard");
      b.screenshot("dashboard-en");
    }
  }
}
