package dev.kasoku.launcher.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.FreePorts;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.launcher.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site configured through the API is served by the edge of the same (monolithic) process: from the
 * origin and by the rules of the version just stored, over HTTP and over HTTPS with the site's own
 * certificate, and not at all once deleted. Real origin servers on loopback.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SiteConfigEndToEndTest {
  private static final String OPERATOR = "e2e-operator-token-with-at-least-32-characters";
  private static final String SECRET = "e2e-secret-key-with-at-least-32-characters!";

  @TempDir Path dataDir;
  private Vertx vertx;
  private WebClient http;
  private Launcher launcher;
  private HttpServer originA;
  private HttpServer originB;
  private final AtomicInteger hitsA = new AtomicInteger();
  private final AtomicInteger hitsB = new AtomicInteger();
  private int edgePort;
  private int edgeTlsPort;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false));
    originA = Await.result(vertx.createHttpServer().requestHandler(req -> {
      hitsA.incrementAndGet();
      req.response().putHeader("Cache-Control", "max-age=300").end("A:" + req.path());
    }).listen(0, "127.0.0.1"));
    originB = Await.result(vertx.createHttpServer().requestHandler(req -> {
      hitsB.incrementAndGet();
      req.response().putHeader("Cache-Control", "max-age=300").end("B:" + req.path());
    }).listen(0, "127.0.0.1"));
    List<Integer> ports = FreePorts.take(2);
    edgePort = ports.get(0);
    edgeTlsPort = ports.get(1);
    Map<String, String> env = MonolithEnv.of(dataDir, edgePort, edgeTlsPort, SECRET, OPERATOR);
    KasokuConfig config = ConfigLoader.load(env);
    launcher = Launcher.start(config).await(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (launcher != null) {
      launcher.stop().await(30, TimeUnit.SECONDS);
    }
    Await.result(vertx.close());
  }

  private HttpResponse<Buffer> api(HttpMethod method, String path, String key, JsonObject body) {
    var req = http.request(method, launcher.apiPort(), "127.0.0.1", path).bearerTokenAuthentication(key);
    return Await.result(body == null ? req.send() : req.sendJsonObject(body));
  }

  private HttpResponse<Buffer> edge(String host, String path) {
    return Await.result(http.get(edgePort, "127.0.0.1", path).putHeader("Host", host).send());
  }

  private JsonObject site(String host, HttpServer origin, JsonArray rules) {
    return new JsonObject().put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:" + origin.actualPort())))
        .put("defaultTtl", "60s").put("rules", rules);
  }

  /** Creates a tenant as the operator; returns its admin API key. */
  private String newTenant(String name) {
    HttpResponse<Buffer> r = api(HttpMethod.POST, "/v1/tenants", OPERATOR, new JsonObject().put("name", name));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("adminApiKey") + "|" + r.bodyAsJsonObject().getString("id");
  }

  @Test
  void aSitePutThroughTheApiIsServedByTheEdgeFromTheNewOriginWithTheNewRules() throws Exception {
    String[] t = newTenant("Shop").split("\\|");
    String key = t[0];
    String tenant = t[1];
    String host = "www.shop-e2e.test";

    HttpResponse<Buffer> v1 = api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/shop", key,
        site(host, originA, new JsonArray()));
    assertThat(v1.statusCode()).as(v1.bodyAsString()).isEqualTo(200);
    awaitBody(host, "/page", "A:/page");
    assertThat(edge(host, "/page").bodyAsString()).isEqualTo("A:/page");
    assertThat(hitsA.get()).as("second request is a cache hit").isEqualTo(1);

    // version 2: another origin, and /live/ never cached
    JsonArray rules = new JsonArray().add(new JsonObject()
        .put("match", new JsonObject().put("pathPrefix", "/live/")).put("cache", false));
    long start = System.nanoTime();
    HttpResponse<Buffer> v2 = api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/shop", key,
        site(host, originB, rules));
    assertThat(v2.bodyAsJsonObject().getLong("version")).isEqualTo(2);
    awaitOrigin(host, "B:");
    long applyMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(applyMs).as("new config applied within 1 s").isLessThan(1000);
    edge(host, "/live/x");
    edge(host, "/live/x");
    assertThat(hitsB.get()).as("cache: false passes every request").isGreaterThanOrEqualTo(3);

    // HTTPS with the site's certificate, added in version 3
    SelfSignedCertificates.Generated cert = SelfSignedCertificates.generate(List.of(host),
        Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)));
    JsonObject v3doc = site(host, originB, rules).put("tls", new JsonObject()
        .put("certificatePem", cert.certificatePem()).put("privateKeyPem", cert.privateKeyPem()));
    HttpResponse<Buffer> v3 = api(HttpMethod.PUT, "/v1/tenants/" + tenant + "/sites/shop", key, v3doc);
    assertThat(v3.statusCode()).as(v3.bodyAsString()).isEqualTo(200);
    assertThat(v3.bodyAsString()).doesNotContain("PRIVATE KEY");
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    X509Certificate peer = peerCertificate(host);
    while (!peer.equals(cert.certificate()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      peer = peerCertificate(host);
    }
    assertThat(peer).isEqualTo(cert.certificate());
    HttpResponse<Buffer> overTls = Await.result(WebClient.create(vertx, new WebClientOptions().setSsl(true)
            .setTrustAll(true).setVerifyHost(false).setForceSni(true))
        .request(HttpMethod.GET, io.vertx.core.net.SocketAddress.inetSocketAddress(edgeTlsPort, "127.0.0.1"),
            new io.vertx.core.http.RequestOptions().setHost(host).setPort(edgeTlsPort).setURI("/secure"))
        .send());
    assertThat(overTls.bodyAsString()).isEqualTo("B:/secure");

    // deletion: the edge stops serving the host, the hostname is free again
    assertThat(api(HttpMethod.DELETE, "/v1/tenants/" + tenant + "/sites/shop", key, null).statusCode()).isEqualTo(204);
    deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    int status = edge(host, "/page").statusCode();
    while (status == 200 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      status = edge(host, "/page").statusCode();
    }
    assertThat(status).isNotEqualTo(200);

    HttpResponse<Buffer> feed = api(HttpMethod.GET, "/v1/tenants/" + tenant + "/notifications", key, null);
    assertThat(feed.bodyAsJsonObject().getJsonArray("items").size()).isGreaterThanOrEqualTo(4);
  }

  /**
   * Waits until the edge fetches from the origin whose answers start with {@code prefix}. Each try
   * asks a path never asked before: a path fetched from the old origin stays cached (max-age=300),
   * as it should, whatever the new config says.
   */
  private void awaitOrigin(String host, String prefix) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    String body = null;
    for (int i = 0; System.nanoTime() < deadline; i++) {
      HttpResponse<Buffer> r = edge(host, "/fresh-" + i);
      body = r.bodyAsString();
      if (r.statusCode() == 200 && (prefix + "/fresh-" + i).equals(body)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("edge never fetched from the origin answering " + prefix + "; last: " + body);
  }

  private void awaitBody(String host, String path, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    String body = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<Buffer> r = edge(host, path);
      body = r.bodyAsString();
      if (r.statusCode() == 200 && expected.equals(body)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("edge never answered " + expected + " for " + host + path + "; last: " + body);
  }

  private X509Certificate peerCertificate(String sni) throws Exception {
    X509TrustManager any = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {any}, null);
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", edgeTlsPort)) {
      socket.setSoTimeout(15000);
      SSLParameters p = socket.getSSLParameters();
      p.setServerNames(List.of(new SNIHostName(sni)));
      socket.setSSLParameters(p);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }
}
