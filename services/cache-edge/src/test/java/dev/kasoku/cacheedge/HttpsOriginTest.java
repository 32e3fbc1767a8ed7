package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.tls.SelfSignedCertificates;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * https origins: the edge verifies the origin's certificate against the JVM trust store and the
 * origin's hostname, and never fetches over a connection it could not verify.
 *
 * <p>The JVM trust store is pointed at a temporary one holding the test CA for the duration of each
 * test ({@code javax.net.ssl.trustStore}, read by the JDK whenever a default trust manager is
 * built, which a new edge does for its origin clients), and restored afterwards.
 */
class HttpsOriginTest {
  private static final String ORIGIN_NAME = "localhost";

  private final AtomicInteger served = new AtomicInteger();
  private EdgeHarness h;
  private HttpServer origin;
  private Path dir;
  private String savedTrustStore;
  private String savedTrustStorePassword;
  private String savedTrustStoreType;
  private SelfSignedCertificates.Generated originCert;

  @BeforeEach
  void setUp() {
    savedTrustStore = System.getProperty("javax.net.ssl.trustStore");
    savedTrustStorePassword = System.getProperty("javax.net.ssl.trustStorePassword");
    savedTrustStoreType = System.getProperty("javax.net.ssl.trustStoreType");
    dir = TempStores.newDirectory();
  }

  @AfterEach
  void tearDown() {
    if (h != null) {
      h.close();
    }
    restore("javax.net.ssl.trustStore", savedTrustStore);
    restore("javax.net.ssl.trustStorePassword", savedTrustStorePassword);
    restore("javax.net.ssl.trustStoreType", savedTrustStoreType);
    TempStores.deleteRecursively(dir);
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  /** Starts the edge and a TLS origin whose certificate names {@code certName}; trusted or not. */
  private void start(String certName, boolean trusted) throws Exception {
    originCert = SelfSignedCertificates.generate(List.of(certName), Instant.now().minus(Duration.ofHours(1)),
        Instant.now().plus(Duration.ofDays(1)));
    if (trusted) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("test-origin", originCert.certificate());
      Path file = dir.resolve("trust.p12");
      try (OutputStream out = Files.newOutputStream(file)) {
        ks.store(out, "changeit".toCharArray());
      }
      System.setProperty("javax.net.ssl.trustStore", file.toString());
      System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
      System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
    }
    // the first TLS handshake of a JVM builds its crypto providers: allow for it on a busy machine
    h = new EdgeHarness(s -> s.withTimeouts(s.collapseWaitMs(), 10_000, 10_000));
    origin = Await.result(h.vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
            .setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .addCertValue(Buffer.buffer(originCert.certificatePem()))
                .addKeyValue(Buffer.buffer(originCert.privateKeyPem()))))
        .requestHandler(req -> {
          served.incrementAndGet();
          req.response().putHeader("Cache-Control", "max-age=60").end("secret over tls " + req.uri());
        })
        .listen());
    h.site("s-example-com", "s.example.com",
        "[{\"url\":\"https://" + ORIGIN_NAME + ":" + origin.actualPort() + "\"}]", null);
  }

  @Test
  void anHttpsOriginWithATrustedCertificateIsFetchedOverTls() throws Exception {
    start(ORIGIN_NAME, true);
    Resp r = h.get("s.example.com", "/page");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.text()).isEqualTo("secret over tls /page");
    assertThat(served.get()).isEqualTo(1);
  }

  @Test
  void anHttpsOriginWithAnUntrustedCertificateIsNeverFetchedFrom() throws Exception {
    start(ORIGIN_NAME, false);
    Resp r = h.get("s.example.com", "/page");

    assertThat(r.status()).isEqualTo(502);
    assertThat(r.text()).doesNotContain("secret");
    assertThat(served.get()).isZero();
  }

  @Test
  void anHttpsOriginWhoseCertificateNamesAnotherHostIsNeverFetchedFrom() throws Exception {
    start("other.example", true);
    Resp r = h.get("s.example.com", "/page");

    assertThat(r.status()).isEqualTo(502);
    assertThat(served.get()).isZero();
  }
}
