package dev.kasoku.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.tls.SelfSignedCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a PUT refuses, and that one 400 lists every problem. Validation does not touch the store
 * until a document is accepted, so this table runs against one (embedded) store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SiteValidationTest {
  private static final Instant NOW = Instant.now();
  private static final SelfSignedCertificates.Generated GOOD = SelfSignedCertificates.generate(
      List.of("secure.example.com"), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(60)));
  private static final SelfSignedCertificates.Generated OTHER = SelfSignedCertificates.generate(
      List.of("secure.example.com"), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(60)));
  private static final SelfSignedCertificates.Generated EXPIRED = SelfSignedCertificates.generate(
      List.of("secure.example.com"), NOW.minus(Duration.ofDays(90)), NOW.minus(Duration.ofDays(1)));

  private Vertx vertx;
  private Path dir;
  private Store store;
  private ConfigApiFixture strict;
  private ConfigApiFixture devLoopback;
  private String tenant;
  private String key;

  @BeforeAll
  void start() {
    vertx = Vertx.vertx();
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir.resolve("store"));
    strict = ConfigApiFixture.start(vertx, store, ConfigApiFixture.config(dir, Map.of()), Clock.systemUTC());
    devLoopback = ConfigApiFixture.start(vertx, store,
        ConfigApiFixture.config(dir, Map.of("KASOKU_ALLOWED_ORIGIN_NETWORKS", "127.0.0.0/8,::1/128")), Clock.systemUTC());
    tenant = "val" + Long.toString(System.nanoTime(), 36);
    key = strict.tenantKey(tenant, TenantRole.EDITOR);
  }

  @AfterAll
  void stop() {
    strict.close();
    devLoopback.close();
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  private static JsonObject valid() {
    return new JsonObject()
        .put("hostnames", new JsonArray().add("secure.example.com"))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "https://origin.example.net:8443")))
        .put("defaultTtl", "0s")
        .put("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathPrefix", "/static/")).put("ttl", "7d").put("query", "ignore")));
  }

  private static JsonObject with(String key, Object value) {
    return valid().put(key, value);
  }

  private static JsonObject tls(SelfSignedCertificates.Generated cert, SelfSignedCertificates.Generated key) {
    return new JsonObject().put("certificatePem", cert.certificatePem()).put("privateKeyPem", key.privateKeyPem());
  }

  static List<String> errors(HttpResponse<Buffer> r) {
    JsonArray e = r.bodyAsJsonObject().getJsonArray("errors");
    return e == null ? List.of() : e.stream().map(Object::toString).toList();
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("unknown top-level key", with("defaultTTL", "1h"), "defaultTTL"),
        Arguments.of("unknown nested key", with("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathPrefix", "/a/").put("colour", "red")))), "colour"),
        Arguments.of("bad duration", with("defaultTtl", "5 minutes"), "defaultTtl"),
        Arguments.of("negative-looking duration", with("staleIfError", "-1d"), "staleIfError"),
        Arguments.of("bad regex", with("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathRegex", "([a-z")))), "pathRegex"),
        Arguments.of("ftp origin", with("origins", new JsonArray().add(new JsonObject().put("url", "ftp://o.example.com"))), "http or https"),
        Arguments.of("file origin", with("origins", new JsonArray().add(new JsonObject().put("url", "file:///etc/passwd"))), "origins[0].url"),
        Arguments.of("origin with credentials", with("origins", new JsonArray().add(new JsonObject().put("url", "https://u:p@o.example.com"))), "user info"),
        Arguments.of("loopback origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:8080"))), "loopback"),
        Arguments.of("metadata origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://169.254.169.254"))), "metadata"),
        Arguments.of("private origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://10.1.2.3"))), "private"),
        Arguments.of("ipv6 loopback origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://[::1]:80"))), "loopback"),
        Arguments.of("decimal ip origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://2130706433"))), "canonical"),
        Arguments.of("localhost origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://localhost:8080"))), "loopback"),
        Arguments.of("duplicate hostnames after normalisation", with("hostnames", new JsonArray().add("a.example.com").add("A.Example.com.")), "twice"),
        Arguments.of("hostname with port", with("hostnames", new JsonArray().add("a.example.com:8080")), "hostnames[0]"),
        Arguments.of("ip literal hostname", with("hostnames", new JsonArray().add("192.0.2.1")), "hostnames[0]: '192.0.2.1' is an IP address"),
        Arguments.of("ipv6 literal hostname", with("hostnames", new JsonArray().add("[2001:db8::1]")), "is an IP address"),
        Arguments.of("localhost hostname", with("hostnames", new JsonArray().add("localhost")), "hostnames[0]: 'localhost' is a reserved name"),
        Arguments.of("*.localhost hostname", with("hostnames", new JsonArray().add("app.localhost")), "reserved name"),
        Arguments.of("*.local hostname", with("hostnames", new JsonArray().add("printer.local")), "reserved name"),
        Arguments.of("*.internal hostname", with("hostnames", new JsonArray().add("db.internal")), "reserved name"),
        Arguments.of("*.invalid hostname", with("hostnames", new JsonArray().add("x.invalid")), "reserved name"),
        Arguments.of("nat64 metadata origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://[64:ff9b::a9fe:a9fe]"))), "metadata"),
        Arguments.of("6to4 loopback origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://[2002:7f00:1::1]"))), "loopback"),
        Arguments.of("mapped private origin", with("origins", new JsonArray().add(new JsonObject().put("url", "http://[::ffff:10.0.0.1]"))), "private"),
        Arguments.of("overflowing default ttl", with("defaultTtl", "106751991167300d"), "defaultTtl: '106751991167300d' is longer than the limit of 365d"),
        Arguments.of("overflowing rule ttl", with("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathPrefix", "/")).put("ttl", "9223372036854775807s"))), "limit of 365d"),
        Arguments.of("bad cookies policy", with("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathPrefix", "/")).put("cookies", "share"))), "cookies"),
        Arguments.of("bad request body limit", with("maxRequestBody", "lots"), "maxRequestBody"),
        Arguments.of("peer fill as a string", with("peerFill", "off"), "peerFill"),
        Arguments.of("peer fill as a number", with("peerFill", 0), "peerFill"),
        Arguments.of("no hostnames", with("hostnames", new JsonArray()), "hostnames"),
        Arguments.of("no origins", with("origins", new JsonArray()), "origins"),
        Arguments.of("key of another certificate", with("tls", tls(GOOD, OTHER)), "does not match"),
        Arguments.of("expired certificate", with("tls", tls(EXPIRED, EXPIRED)), "expired"),
        Arguments.of("certificate not covering a hostname", with("hostnames", new JsonArray().add("secure.example.com").add("www.example.com"))
            .put("tls", tls(GOOD, GOOD)), "does not cover hostname www.example.com"),
        Arguments.of("garbage key", with("tls", new JsonObject().put("certificatePem", GOOD.certificatePem())
            .put("privateKeyPem", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")), "privateKeyPem"),
        Arguments.of("missing key", with("tls", new JsonObject().put("certificatePem", GOOD.certificatePem())), "privateKeyPem"),
        Arguments.of("bad query rule", with("rules", new JsonArray().add(new JsonObject()
            .put("match", new JsonObject().put("pathPrefix", "/")).put("query", "drop"))), "query"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesWith400NamingTheProblem(String what, JsonObject doc, String expected) {
    HttpResponse<Buffer> r = strict.put(tenant, "s", key, doc);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(400);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(String.join("\n", errors(r)) + r.bodyAsJsonObject().getString("detail")).contains(expected);
    assertThat(r.bodyAsString()).doesNotContain("PRIVATE KEY-----\\n" + "M");
    assertThat(Await.result(store.sites().current(tenant, "s"))).isEmpty();
  }

  @Test
  void oneResponseListsEveryProblemOfTheDocument() {
    JsonObject doc = new JsonObject()
        .put("hostnames", new JsonArray().add("secure.example.com").add("SECURE.example.com."))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "ftp://o.example.com"))
            .add(new JsonObject().put("url", "http://169.254.169.254")))
        .put("defaultTtl", "soon")
        .put("rules", new JsonArray().add(new JsonObject().put("match", new JsonObject().put("pathRegex", "(["))))
        .put("tls", tls(EXPIRED, GOOD));
    HttpResponse<Buffer> r = strict.put(tenant, "s", key, doc);
    assertThat(r.statusCode()).isEqualTo(400);
    List<String> errors = errors(r);
    assertThat(errors).anyMatch(e -> e.contains("twice"))
        .anyMatch(e -> e.contains("origins[0].url") && e.contains("http or https"))
        .anyMatch(e -> e.contains("origins[1].url") && e.contains("metadata"))
        .anyMatch(e -> e.contains("defaultTtl"))
        .anyMatch(e -> e.contains("pathRegex"))
        .anyMatch(e -> e.contains("does not match"))
        .anyMatch(e -> e.contains("expired"));
  }

  @Test
  void aValidDocumentPasses() {
    HttpResponse<Buffer> r = strict.put(tenant, "ok", key, valid().put("hostnames",
        new JsonArray().add("ok-" + Long.toString(System.nanoTime(), 36) + ".example.com")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  @Test
  void theCacheSafetyFieldsAreAccepted() {
    JsonObject doc = valid().put("hostnames", new JsonArray().add("safe-" + Long.toString(System.nanoTime(), 36) + ".example.com"))
        .put("deceptionGuard", false).put("maxRequestBody", "10m").put("peerFill", false).put("defaultTtl", "365d")
        .put("rules", new JsonArray().add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/api/"))
            .put("ttl", "1h").put("cookies", "ignore")));
    HttpResponse<Buffer> r = strict.put(tenant, "safe", key, doc);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(Await.result(store.sites().current(tenant, "safe")).orElseThrow().configJson())
        .contains("\"cookies\":\"ignore\"").contains("\"deceptionGuard\":false").contains("\"maxRequestBody\":\"10m\"")
        .contains("\"peerFill\":false");
  }

  @Test
  void loopbackOriginsPassOnlyWhereTheOperatorAllowsThem() {
    JsonObject loop = with("origins", new JsonArray().add(new JsonObject().put("url", "http://127.0.0.1:8080"))
        .add(new JsonObject().put("url", "http://[::1]:8080")).add(new JsonObject().put("url", "http://localhost:9")))
        .put("hostnames", new JsonArray().add("dev-" + Long.toString(System.nanoTime(), 36) + ".example.com"));
    assertThat(strict.put(tenant, "dev", key, loop).statusCode()).isEqualTo(400);
    HttpResponse<Buffer> allowed = devLoopback.put(tenant, "dev", key, loop);
    assertThat(allowed.statusCode()).as(allowed.bodyAsString()).isEqualTo(200);
    // the allowance is for the listed networks only: metadata stays refused
    JsonObject meta = loop.copy().put("origins", new JsonArray().add(new JsonObject().put("url", "http://169.254.169.254")));
    assertThat(devLoopback.put(tenant, "dev", key, meta).statusCode()).isEqualTo(400);
  }
}
