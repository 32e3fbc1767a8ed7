package dev.kasoku.cacheedge.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.ConfigLoader;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.testing.Await;
import dev.kasoku.common.testing.MutableClock;
import dev.kasoku.common.testing.TempStores;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.common.tls.SiteKeys;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTPS listener's TLS implementation: OpenSSL (BoringSSL) on this machine, the JDK's provider
 * when asked for or when OpenSSL does not load, and session resumption across edges through ticket
 * keys derived from the shared secret and rotated.
 *
 * <p>Every edge here is a real listener on its own Vert.x instance with its own store, as separate
 * edge processes are; the client is the JDK's TLS 1.3 client, whose session cache is keyed by host
 * name and port, so the same client resumes a session on whichever edge it connects to next (as it
 * would through a load balancer in front of several edges).
 */
class TlsEngineTest {
  private static final String SECRET = "tls-engine-tests-secret-key-of-32-chars!";
  private static final String OTHER_SECRET = "another-cluster-secret-key-of-32-chars!!";
  private static final String HOST = "www.tickets-" + Long.toString(System.nanoTime(), 36) + ".example";
  private static final SelfSignedCertificates.Generated CERT = SelfSignedCertificates.generate(List.of(HOST),
      Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)));

  private final List<Edge> edges = new ArrayList<>();

  @AfterEach
  void stopEdges() {
    edges.forEach(Edge::stop);
  }

  @Test
  void theListenerRunsOnOpenSslOnThisMachine() throws Exception {
    Edge edge = edge(SECRET, "auto", Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    assertThat(edge.book.engine().isOpenSsl()).as(edge.book.engine().description()).isTrue();
    assertThat(edge.book.engine().description()).startsWith("OpenSSL (BoringSSL");
    Client client = new Client();
    // the site's own certificate is chosen by SNI on OpenSSL too
    assertThat(client.get(edge, HOST)).isEqualTo(CERT.certificate());
    // and the handshake ran on a context that holds our ticket keys: one only OpenSSL contexts have
    assertThat(edge.tickets().issued()).isPositive();
  }

  @Test
  void theJdkProviderIsUsedWhenAskedForAndStillChoosesCertificatesBySni() throws Exception {
    Edge edge = edge(SECRET, "jdk", Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    assertThat(edge.book.engine().isOpenSsl()).isFalse();
    assertThat(edge.book.engine().description()).startsWith("JDK (SunJSSE").contains("KASOKU_EDGE_TLS_PROVIDER=jdk");
    assertThat(new Client().get(edge, HOST)).isEqualTo(CERT.certificate());
    assertThat(edge.tickets()).isEqualTo(new SessionTickets.Stats(0, 0, 0, 0));
  }

  @Test
  void autoFallsBackToTheJdkWhereOpenSslDoesNotLoadAndOpensslRefusesToStart() {
    Throwable missing = new UnsatisfiedLinkError("no netty_tcnative_linux_aarch_64 in java.library.path");
    EdgeTlsEngine fallback = EdgeTlsEngine.create(KasokuConfig.TlsProvider.AUTO, false, missing,
        SECRET.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    assertThat(fallback.isOpenSsl()).isFalse();
    assertThat(fallback.sslEngineOptions()).isInstanceOf(io.vertx.core.net.JdkSSLEngineOptions.class);
    assertThat(fallback.description()).startsWith("JDK (").contains("OpenSSL unavailable: UnsatisfiedLinkError");
    assertThatThrownBy(() -> EdgeTlsEngine.create(KasokuConfig.TlsProvider.OPENSSL, false, missing,
            SECRET.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION))
        .isInstanceOf(ConfigException.class).hasMessageContaining("KASOKU_EDGE_TLS_PROVIDER");
  }

  @Test
  void aClientResumesOnAnotherEdgeWithTheSameSecretButNotOnOneWithAnother() throws Exception {
    Edge first = edge(SECRET, "auto", Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    Edge second = edge(SECRET, "auto", Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    Edge foreign = edge(OTHER_SECRET, "auto", Clock.systemUTC(), SessionTickets.DEFAULT_ROTATION);
    Path session = first.dir.resolve("client-session.pem");
    assertThat(OpensslClient.get(first, session, false)).isEqualTo("New");
    assertThat(first.tickets().issued()).isPositive();

    assertThat(OpensslClient.get(second, session, true)).isEqualTo("Reused");
    assertThat(second.tickets().opened()).as("second edge opened the first edge's ticket").isEqualTo(1);
    assertThat(second.tickets().failed()).isZero();

    assertThat(OpensslClient.get(foreign, session, true)).as("a full handshake instead").isEqualTo("New");
    assertThat(foreign.tickets().failed()).as("foreign edge could not open the ticket").isEqualTo(1);
    assertThat(foreign.tickets().opened()).isZero();
  }

  @Test
  void aRotatedKeyStillOpensTheLastPeriodsTicketsButNotOlderOnes() throws Exception {
    Duration period = Duration.ofHours(1);
    // one minute into an epoch, so that each advance by a period crosses exactly one rotation
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:01:00Z"));
    Edge first = edge(SECRET, "auto", clock, period);
    Edge second = edge(SECRET, "auto", clock, period);
    Path session = first.dir.resolve("client-session.pem");
    Path original = first.dir.resolve("original-session.pem");
    assertThat(OpensslClient.get(first, session, false)).isEqualTo("New");
    java.nio.file.Files.copy(session, original);

    clock.advance(period);
    first.book.engine().refresh();
    second.book.engine().refresh();
    // resumed with the previous period's key, and given a new ticket under the current one
    assertThat(OpensslClient.get(second, session, true)).isEqualTo("Reused");
    assertThat(second.tickets().renewed()).isEqualTo(1);
    assertThat(second.tickets().failed()).isZero();

    clock.advance(period);
    second.book.engine().refresh();
    assertThat(OpensslClient.get(second, original, true)).as("a key two rotations old is gone").isEqualTo("New");
    assertThat(second.tickets().failed()).isEqualTo(1);
    assertThat(OpensslClient.get(second, session, true)).as("the renewed ticket still opens").isEqualTo("Reused");
    assertThat(second.tickets().opened()).isEqualTo(2);
  }

  @Test
  void ticketKeysAreTheSameOnEveryNodeAndDifferPerEpochAndSecret() {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    SessionTickets a = new SessionTickets(secret, Clock.systemUTC(), Duration.ofHours(12));
    SessionTickets b = new SessionTickets(secret.clone(), Clock.systemUTC(), Duration.ofHours(12));
    SessionTickets other = new SessionTickets(OTHER_SECRET.getBytes(StandardCharsets.UTF_8), Clock.systemUTC(),
        Duration.ofHours(12));
    assertThat(a.key(42).name()).isEqualTo(b.key(42).name());
    assertThat(a.key(42).aesKey()).isEqualTo(b.key(42).aesKey());
    assertThat(a.key(42).hmacKey()).isEqualTo(b.key(42).hmacKey());
    assertThat(a.key(43).name()).isNotEqualTo(a.key(42).name());
    assertThat(a.key(43).aesKey()).isNotEqualTo(a.key(42).aesKey());
    assertThat(other.key(42).name()).isNotEqualTo(a.key(42).name());
    assertThat(other.key(42).aesKey()).isNotEqualTo(a.key(42).aesKey());
    // the current epoch's key comes first: it is the one that encrypts
    assertThat(a.keysFor(42)[0].name()).isEqualTo(a.key(42).name());
    assertThat(a.keysFor(42)[1].name()).isEqualTo(a.key(41).name());
    assertThat(a.keysFor(42)[2].name()).isEqualTo(a.key(43).name());
  }

  @Test
  void hkdfExpandMatchesRfc5869TestCase1() {
    // RFC 5869 appendix A.1: PRK and OKM of the first test case
    byte[] prk = hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    byte[] info = hex("f0f1f2f3f4f5f6f7f8f9");
    assertThat(SessionTickets.hkdfExpand(prk, info, 42)).isEqualTo(
        hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }

  private Edge edge(String secret, String provider, Clock clock, Duration rotation) {
    Edge e = new Edge(secret, provider, clock, rotation);
    edges.add(e);
    return e;
  }

  /** One edge's HTTPS listener, as an edge process sets it up, on its own Vert.x and store. */
  private static final class Edge {
    final Vertx vertx = Vertx.vertx();
    final Path dir = TempStores.newDirectory();
    final Store store;
    final CertificateBook book;
    final HttpServer server;

    Edge(String secret, String provider, Clock clock, Duration rotation) {
      RecordCodec.registerAll(vertx);
      store = TempStores.embedded(vertx, dir.resolve("store"));
      Map<String, String> env = new HashMap<>(Map.of("KASOKU_SECRET_KEY", secret, "KASOKU_DATA_DIR", dir.toString(),
          "KASOKU_BIND_ADDRESS", "127.0.0.1", "KASOKU_EDGE_TLS_PORT", "0", "KASOKU_EDGE_TLS_PROVIDER", provider));
      KasokuConfig config = ConfigLoader.load(env);
      JsonObject doc = new JsonObject().put("hostnames", new JsonArray().add(HOST))
          .put("origins", new JsonArray().add(new JsonObject().put("url", "https://origin.example.net")))
          .put("tls", new JsonObject().put("certificatePem", CERT.certificatePem())
              .put("privateKeyPem", SiteKeys.sealer(config).seal(CERT.privateKeyPem(), SiteKeys.context("t", "s"))));
      Await.result(store.sites().put("t", "s", List.of(HOST), doc.encode(), "test", Instant.now()));
      book = new CertificateBook(vertx, config, store.sites(), clock, Duration.ofSeconds(30), rotation);
      Await.result(book.start());
      server = Await.result(vertx.createHttpServer(
              EdgeTlsListener.options(new HttpServerOptions().setHost("127.0.0.1"), 0, book))
          .requestHandler(EdgeTlsListener.handler(book, req -> req.response().end("ok")))
          .listen());
    }

    SessionTickets.Stats tickets() {
      return book.engine().ticketStats();
    }

    void stop() {
      Await.result(server.close());
      Await.result(book.stop());
      Await.result(store.close());
      Await.result(vertx.close());
      TempStores.deleteRecursively(dir);
    }
  }

  /**
   * A TLS 1.3 client with its own session cache. Every connection is made to an edge's real port
   * but named {@code HOST:443} for the session cache, so a session from one edge is offered to the
   * next edge, as a browser behind one name does whatever edge answers.
   */
  private static final class Client {
    private final SSLContext context;

    Client() throws Exception {
      context = SSLContext.getInstance("TLSv1.3");
      context.init(null, new TrustManager[] {new AcceptAll()}, new SecureRandom());
    }

    /** One GET over a new connection (read to the end, so the tickets that follow the handshake arrive); the certificate seen. */
    X509Certificate get(Edge edge, String host) throws Exception {
      Socket plain = new Socket();
      plain.connect(new InetSocketAddress("127.0.0.1", edge.server.actualPort()), 5000);
      plain.setSoTimeout(15000);
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, 443, true)) {
        SSLParameters p = socket.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setApplicationProtocols(new String[] {"http/1.1"});
        socket.setSSLParameters(p);
        socket.startHandshake();
        OutputStream out = socket.getOutputStream();
        out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // the response ("ok", after the tickets that follow the handshake); then the client closes first
        InputStream in = socket.getInputStream();
        StringBuilder response = new StringBuilder();
        while (!response.toString().endsWith("\r\n\r\nok")) {
          int c = in.read();
          if (c < 0) {
            throw new AssertionError("connection closed after " + response);
          }
          response.append((char) c);
        }
        assertThat(response.toString()).startsWith("HTTP/1.1 200");
        return (X509Certificate) socket.getSession().getPeerCertificates()[0];
      }
    }
  }

  /**
   * The openssl command-line client (part of the base system image), a TLS 1.3 client that is not
   * ours and reports whether the server resumed the session: one GET per call, the session read
   * from and written to {@code session} (-sess_in, -sess_out), so a ticket from one edge is offered
   * to another.
   */
  private static final class OpensslClient {
    /** "Reused" or "New": the client's verdict on the handshake. */
    static String get(Edge edge, Path session, boolean resume) throws Exception {
      List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + edge.server.actualPort(),
          "-servername", HOST, "-tls1_3", "-sess_out", session.toString()));
      Path in = session.resolveSibling(session.getFileName() + ".in");
      if (resume) {
        java.nio.file.Files.copy(session, in, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        cmd.addAll(List.of("-sess_in", in.toString()));
      }
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try {
        p.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().flush();
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          throw new AssertionError("openssl s_client did not finish");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("HTTP/1.1 200 OK");
        return out.lines().filter(l -> l.startsWith("Reused,") || l.startsWith("New,")).findFirst()
            .map(l -> l.substring(0, l.indexOf(','))).orElseThrow(() -> new AssertionError("no verdict in: " + out));
      } finally {
        p.destroyForcibly();
      }
    }
  }

  private static final class AcceptAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
