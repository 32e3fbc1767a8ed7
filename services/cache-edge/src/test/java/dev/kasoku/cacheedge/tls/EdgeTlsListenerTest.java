package dev.kasoku.cacheedge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.tls.SecretSealer;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.common.tls.SiteKeys;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The edge's HTTPS listener: per-site certificates by SNI for two tenants on one edge, the default
 * certificate for any other name, live certificate changes (by message and by the epoch poll when
 * the message is missed), HTTP/2 by ALPN, and no cross-tenant use of a certificate.
 */
class EdgeTlsListenerTest {
  private static final String SECRET = "edge-tls-tests-secret-key-of-32-characters";

  private Vertx vertx;
  private Path dir;
  private Store store;
  private KasokuConfig config;
  private SecretSealer sealer;
  private CertificateBook book;
  private HttpServer server;
  private String tenantA;
  private String tenantB;
  private String hostA;
  private String hostB;
  private SelfSignedCertificates.Generated certA;
  private SelfSignedCertificates.Generated certB;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    RecordCodec.registerAll(vertx);
    dir = TempStores.newDirectory();
    store = TempStores.embedded(vertx, dir.resolve("store"));
    config = ConfigLoader.load(Map.of("KASOKU_SECRET_KEY", SECRET, "KASOKU_DATA_DIR", dir.toString(),
        "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_TLS_PORT", "0"));
    sealer = SiteKeys.sealer(config);
    String run = Long.toString(System.nanoTime(), 36);
    tenantA = "ta" + run;
    tenantB = "tb" + run;
    hostA = "www.a-" + run + ".example";
    hostB = "shop.b-" + run + ".example";
    certA = cert(hostA);
    certB = cert(hostB);
    putSite(tenantA, "site", hostA, certA);
    putSite(tenantB, "site", hostB, certB);
    putSite(tenantB, "plain", "plain.b-" + run + ".example", null);
    book = new CertificateBook(vertx, config, store.sites(), Clock.systemUTC(), Duration.ofMillis(200));
    Await.result(book.start());
    server = Await.result(vertx.createHttpServer(
            EdgeTlsListener.options(new HttpServerOptions().setHost("127.0.0.1"), 0, book))
        .requestHandler(EdgeTlsListener.handler(book, req -> req.response().end("served " + req.authority().host())))
        .listen());
  }

  @AfterEach
  void stop() {
    Await.result(server.close());
    Await.result(book.stop());
    Await.result(store.close());
    Await.result(vertx.close());
    TempStores.deleteRecursively(dir);
  }

  private static SelfSignedCertificates.Generated cert(String host) {
    return SelfSignedCertificates.generate(List.of(host), Instant.now().minus(Duration.ofHours(1)),
        Instant.now().plus(Duration.ofDays(30)));
  }

  private long putSite(String tenant, String site, String host, SelfSignedCertificates.Generated cert) {
    JsonObject doc = new JsonObject().put("hostnames", new JsonArray().add(host))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "https://origin.example.net")));
    if (cert != null) {
      doc.put("tls", new JsonObject().put("certificatePem", cert.certificatePem())
          .put("privateKeyPem", sealer.seal(cert.privateKeyPem(), SiteKeys.context(tenant, site))));
    }
    return Await.result(store.sites().put(tenant, site, List.of(host), doc.encode(), "test", Instant.now())).version();
  }

  private int port() {
    return server.actualPort();
  }

  @Test
  void sniSelectsEachTenantsOwnCertificate() throws Exception {
    assertThat(TlsProbe.handshake(port(), hostA, List.of()).peer()).isEqualTo(certA.certificate());
    assertThat(TlsProbe.handshake(port(), hostB, List.of()).peer()).isEqualTo(certB.certificate());
    assertThat(TlsProbe.handshake(port(), hostA.toUpperCase(), List.of()).peer()).isEqualTo(certA.certificate());
    // a client that trusts only tenant A's certificate connects to A, and never accepts B's name
    TlsProbe.handshakeTrusting(port(), hostA, certA.certificate());
    assertThatThrownBy(() -> TlsProbe.handshakeTrusting(port(), hostB, certA.certificate()))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void unknownOrMissingSniGetsTheDefaultCertificateNeverATenants() throws Exception {
    for (String sni : new String[] {"unknown.example", "plain" + hostB.substring(4), "localhost", null}) {
      X509Certificate peer = TlsProbe.handshake(port(), sni, List.of()).peer();
      assertThat(peer).as("sni " + sni).isNotEqualTo(certA.certificate()).isNotEqualTo(certB.certificate());
      assertThat(peer.getSubjectX500Principal().getName()).isEqualTo("CN=" + CertificateBook.DEFAULT_CERTIFICATE_NAME);
    }
  }

  @Test
  void aTenantsCertificateCannotBeUsedToReachAnotherTenantsHost() throws Exception {
    assertThat(TlsProbe.get(port(), hostA, hostA)).isEqualTo("HTTP/1.1 200 OK");
    assertThat(TlsProbe.get(port(), hostA, hostB)).startsWith("HTTP/1.1 421");
    assertThat(TlsProbe.get(port(), hostA, "plain" + hostB.substring(4))).startsWith("HTTP/1.1 421");
  }

  @Test
  void http2IsNegotiatedByAlpn() throws Exception {
    assertThat(TlsProbe.handshake(port(), hostA, List.of("h2", "http/1.1")).applicationProtocol()).isEqualTo("h2");
    assertThat(TlsProbe.handshake(port(), hostA, List.of("http/1.1")).applicationProtocol()).isEqualTo("http/1.1");
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setTrustAll(true)
        .setVerifyHost(false).setUseAlpn(true).setForceSni(true).setProtocolVersion(HttpVersion.HTTP_2));
    try {
      var resp = Await.result(dev.kasoku.common.testing.OnContext.exchange(vertx, client, new RequestOptions()
              .setMethod(HttpMethod.GET).setHost(hostA).setPort(port()).setURI("/")
              .setServer(SocketAddress.inetSocketAddress(port(), "127.0.0.1")),
          a -> Map.entry(a.response().version(), a.body().toString())));
      assertThat(resp.getKey()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(resp.getValue()).isEqualTo("served " + hostA);
    } finally {
      Await.result(client.close());
    }
  }

  @Test
  void aNewCertificateIsServedWithoutRestartOnceTheChangeIsAnnounced() throws Exception {
    SelfSignedCertificates.Generated renewed = cert(hostA);
    long v = putSite(tenantA, "site", hostA, renewed);
    Addresses.CONFIG_CHANGED.publish(vertx.eventBus(), new Messages.ConfigChanged(tenantA, "site", v));
    awaitPeer(hostA, renewed.certificate(), Duration.ofSeconds(1));
    assertThat(TlsProbe.handshake(port(), hostB, List.of()).peer()).isEqualTo(certB.certificate());
  }

  @Test
  void aMissedChangeMessageIsCaughtUpByTheEpochPoll() throws Exception {
    SelfSignedCertificates.Generated renewed = cert(hostB);
    putSite(tenantB, "site", hostB, renewed);
    // no message published: the listener must notice the store's change epoch
    awaitPeer(hostB, renewed.certificate(), Duration.ofSeconds(3));
  }

  @Test
  void deletedSitesAndDeletedTenantsStopBeingServed() throws Exception {
    Await.result(store.sites().delete(tenantA, "site"));
    Addresses.CONFIG_CHANGED.publish(vertx.eventBus(), new Messages.ConfigChanged(tenantA, "site", 0));
    awaitDefault(hostA);
    Addresses.TENANT_DELETED.publish(vertx.eventBus(), new Messages.TenantDeleted(tenantB));
    awaitDefault(hostB);
  }

  @Test
  void aKeySealedForAnotherTenantIsNotServed() throws Exception {
    // tenant B's record carrying A's sealed key (copied across tenants) must not open
    JsonObject doc = new JsonObject().put("hostnames", new JsonArray().add("copy" + hostB.substring(4)))
        .put("origins", new JsonArray().add(new JsonObject().put("url", "https://origin.example.net")))
        .put("tls", new JsonObject().put("certificatePem", certA.certificatePem())
            .put("privateKeyPem", sealer.seal(certA.privateKeyPem(), SiteKeys.context(tenantA, "site"))));
    long v = Await.result(store.sites().put(tenantB, "copy", List.of("copy" + hostB.substring(4)), doc.encode(),
        "test", Instant.now())).version();
    Addresses.CONFIG_CHANGED.publish(vertx.eventBus(), new Messages.ConfigChanged(tenantB, "copy", v));
    Thread.sleep(300);
    assertThat(book.table().site(tenantB, "copy")).isEmpty();
    assertThat(TlsProbe.handshake(port(), "copy" + hostB.substring(4), List.of()).peer())
        .isNotEqualTo(certA.certificate());
  }

  private void awaitPeer(String sni, X509Certificate expected, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    X509Certificate seen;
    do {
      seen = TlsProbe.handshake(port(), sni, List.of()).peer();
      if (seen.equals(expected)) {
        return;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("still served " + seen.getSerialNumber() + " after " + within);
  }

  private void awaitDefault(String sni) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < deadline) {
      X509Certificate seen = TlsProbe.handshake(port(), sni, List.of()).peer();
      if (seen.getSubjectX500Principal().getName().equals("CN=" + CertificateBook.DEFAULT_CERTIFICATE_NAME)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(sni + " is still served with a site certificate");
  }
}
