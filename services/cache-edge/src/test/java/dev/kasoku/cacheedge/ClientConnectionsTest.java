package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Client connections cannot exhaust the edge: the HTTP/1.x timeouts a slow client cannot stretch,
 * the per-address and global connection caps, and the HTTP/2 control-frame bounds. Regression: a
 * connection sending a header byte every few seconds, or idle on keep-alive, was kept for about
 * 110-120 s, there was no bound per client, and 200,000 HTTP/2 PINGs were all answered. Every
 * client here is bounded: a few sockets, a few hundred frames, read timeouts on every socket.
 */
class ClientConnectionsTest {
  private EdgeHarness h;
  private TestOrigin origin;
  private final List<Socket> sockets = new ArrayList<>();
  /** Held in a field: Vert.x closes an HttpClient that is no longer referenced. */
  private HttpClient h2;

  private void start(UnaryOperator<EdgeSettings.Connections> tweak) {
    start(tweak, false);
  }

  private void start(UnaryOperator<EdgeSettings.Connections> tweak, boolean https) {
    h = new EdgeHarness(s -> s.withConnections(tweak.apply(s.connections())), https);
    origin = h.origin().respond(200, "fine", "Cache-Control", "no-store");
    h.site("c.example.com", origin, null);
  }

  @AfterEach
  void tearDown() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (h != null) {
      h.close();
    }
  }

  private Socket connect(String fromAddress) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.bind(new InetSocketAddress(InetAddress.getByName(fromAddress), 0));
    s.connect(new InetSocketAddress("127.0.0.1", h.port()), 2000);
    s.setSoTimeout(5000);
    return s;
  }

  /** Reads until the edge closes the connection (or the 5 s socket timeout); returns what came. */
  private static String readToClose(Socket s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException | java.net.SocketException stillOpenOrReset) {
      return out.toString(StandardCharsets.ISO_8859_1) + (stillOpenOrReset instanceof SocketTimeoutException ? "<open>" : "");
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads one response whose body is {@code Content-Length} long. */
  private static String readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  // ------------------------------------------------------------ HTTP/1.x timeouts

  @Test
  void aTrickledRequestHeadGets408AtTheHeaderDeadline() throws Exception {
    start(c -> c.withTimeouts(800, 10_000, 10_000));
    Socket s = connect("127.0.0.1");
    long t0 = System.nanoTime();
    send(s, "GET /slow HTTP/1.1\r\nHost: c.example.com\r\n");
    String answer = "";
    // one header byte every 100 ms: each byte would reset an idle timer, none may move the deadline
    for (int i = 0; i < 30; i++) {
      try {
        send(s, "X");
      } catch (IOException closed) {
        break;
      }
      Thread.sleep(100);
      if (s.getInputStream().available() > 0) {
        break;
      }
    }
    answer = readToClose(s);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(answer).startsWith("HTTP/1.1 408").contains("request header timeout").doesNotContain("<open>");
    assertThat(tookMs).isBetween(700L, 2500L);
    assertThat(origin.count()).isZero();
  }

  @Test
  void aConnectionThatNeverSendsARequestIsClosedAtTheHeaderDeadline() throws Exception {
    start(c -> c.withTimeouts(600, 10_000, 10_000));
    Socket s = connect("127.0.0.1");
    long t0 = System.nanoTime();
    String answer = readToClose(s);
    assertThat(answer).startsWith("HTTP/1.1 408").doesNotContain("<open>");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(2500L);
  }

  @Test
  void anIdleKeptAliveConnectionIsClosedAfterTheKeepAliveTimeout() throws Exception {
    start(c -> c.withTimeouts(10_000, 700, 10_000));
    Socket s = connect("127.0.0.1");
    send(s, "GET /one HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
    assertThat(readResponse(s)).startsWith("HTTP/1.1 200").endsWith("fine");
    send(s, "GET /two HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
    assertThat(readResponse(s)).as("kept alive while in use").startsWith("HTTP/1.1 200");
    long t0 = System.nanoTime();
    String rest = readToClose(s);
    long idleMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(rest).as("closed without an answer").isEmpty();
    assertThat(idleMs).isBetween(500L, 2500L);
  }

  @Test
  void aStalledRequestBodyGets408AndTheOriginNeverGetsTheRequestWhole() throws Exception {
    start(c -> c.withTimeouts(10_000, 10_000, 700));
    Socket s = connect("127.0.0.1");
    long t0 = System.nanoTime();
    send(s, "POST /upload HTTP/1.1\r\nHost: c.example.com\r\nContent-Length: 100\r\n\r\nonly-a-bit");
    String answer = readToClose(s);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(answer).startsWith("HTTP/1.1 408").contains("request body timeout");
    assertThat(tookMs).isBetween(500L, 3000L);
    assertThat(origin.seen()).noneMatch(r -> r.bodyBytes() == 100);
  }

  // ------------------------------------------------------------ caps

  @Test
  void connectionsPastThePerClientCapAre429WhileTheirOwnAndOtherClientsAreStillServed() throws Exception {
    start(c -> c.withCaps(3, 1000));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(connect("127.0.0.1"));
    }
    Thread.sleep(200); // the edge counts a connection once it has accepted it
    Socket fourth = connect("127.0.0.1");
    String refused = readToClose(fourth);
    assertThat(refused).startsWith("HTTP/1.1 429").contains("Retry-After: 1").doesNotContain("<open>");

    send(held.get(0), "GET /still HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
    assertThat(readResponse(held.get(0))).startsWith("HTTP/1.1 200");
    Socket other = connect("127.0.0.2");
    send(other, "GET /other HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
    assertThat(readResponse(other)).as("another address is not affected").startsWith("HTTP/1.1 200");

    held.get(1).close();
    Thread.sleep(200);
    Socket again = connect("127.0.0.1");
    send(again, "GET /again HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
    assertThat(readResponse(again)).as("a closed connection frees its slot").startsWith("HTTP/1.1 200");
    assertThat(h.edge.runtime().connectionLimits().refusedPerClient()).isEqualTo(1);
  }

  @Test
  void connectionsPastTheGlobalCapAre503WhileEstablishedOnesAreStillServed() throws Exception {
    start(c -> c.withCaps(100, 4));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(connect("127.0.0." + (i + 1)));
    }
    Thread.sleep(200);
    Socket fifth = connect("127.0.0.9");
    assertThat(readToClose(fifth)).startsWith("HTTP/1.1 503").contains("edge at its connection limit");
    for (Socket s : held) {
      send(s, "GET /served HTTP/1.1\r\nHost: c.example.com\r\n\r\n");
      assertThat(readResponse(s)).startsWith("HTTP/1.1 200");
    }
    assertThat(h.edge.runtime().connectionLimits().open()).isEqualTo(4);
  }

  // ------------------------------------------------------------ HTTP/2 control frames

  private HttpConnection h2Connection() {
    h2 = h.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setSsl(true).setUseAlpn(true).setTrustAll(true).setVerifyHost(false), new PoolOptions().setHttp2MaxSize(1));
    RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET)
        .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(h.tlsPort(), "127.0.0.1"))
        .setHost("c.example.com").setPort(h.tlsPort()).setURI("/warm");
    return Await.result(h2.request(get).compose(req -> req.send().compose(r -> r.body().map(b -> r.request().connection()))));
  }

  @Test
  void aPingFloodGetsGoAwayEnhanceYourCalm() {
    start(c -> c.withH2Bounds(20, 20), true);
    HttpConnection conn = h2Connection();
    Promise<GoAway> goAway = Promise.promise();
    Promise<Void> closed = Promise.promise();
    conn.goAwayHandler(goAway::tryComplete);
    conn.closeHandler(v -> closed.tryComplete());
    int answered = 0;
    long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    for (int i = 0; i < 200 && !closed.future().isComplete() && !goAway.future().isComplete()
        && System.nanoTime() < giveUp; i++) {
      // every ping frame counts at the edge, acked or not: a slow ack (a loaded machine) is no reason to stop
      if (Await.result(conn.ping(Buffer.buffer("pingping")).timeout(2, java.util.concurrent.TimeUnit.SECONDS)
          .map(true).otherwise(false))) {
        answered++;
      }
    }
    // generous: the edge clock is frozen, so only a loaded machine makes this slow
    h.vertx.setTimer(15_000, t -> closed.tryFail("still open"));
    assertThat(Await.result(closed.future().map(true).otherwise(false))).as("connection closed").isTrue();
    assertThat(answered).isLessThanOrEqualTo(21);
    assertThat(goAway.future().result()).isNotNull();
    assertThat(goAway.future().result().getErrorCode()).isEqualTo(0xb); // ENHANCE_YOUR_CALM
  }

  @Test
  void aSettingsFloodGetsGoAwayEnhanceYourCalm() {
    start(c -> c.withH2Bounds(20, 10), true);
    HttpConnection conn = h2Connection();
    Promise<GoAway> goAway = Promise.promise();
    Promise<Void> closed = Promise.promise();
    conn.goAwayHandler(goAway::tryComplete);
    conn.closeHandler(v -> closed.tryComplete());
    for (int i = 0; i < 100 && !closed.future().isComplete() && !goAway.future().isComplete(); i++) {
      Await.result(conn.updateSettings(new Http2Settings().setMaxConcurrentStreams(100 + i))
          .timeout(2, java.util.concurrent.TimeUnit.SECONDS).otherwiseEmpty());
    }
    // generous: the edge clock is frozen, so only a loaded machine makes this slow
    h.vertx.setTimer(15_000, t -> closed.tryFail("still open"));
    assertThat(Await.result(closed.future().map(true).otherwise(false))).as("connection closed").isTrue();
    assertThat(goAway.future().result().getErrorCode()).isEqualTo(0xb);
  }

  /**
   * A few PINGs are answered and the connection stays. Spoken as raw HTTP/2 frames over TLS: an
   * HTTP/2 client library may match an ack to its ping only once the ping's write has completed, so
   * an ack that comes back first would be lost to the client, not to the edge; counting the PING
   * ACK frames on the wire says exactly what the edge answered.
   */
  @Test
  void aFewPingsAreAnsweredAsUsual() throws Exception {
    start(c -> c, true);
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(null, new javax.net.ssl.TrustManager[] {new TrustingManager()}, null);
    try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
        .createSocket("127.0.0.1", h.tlsPort())) {
      javax.net.ssl.SSLParameters params = s.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      params.setServerNames(List.of(new javax.net.ssl.SNIHostName("c.example.com")));
      s.setSSLParameters(params);
      s.setSoTimeout(10_000);
      s.startHandshake();
      assertThat(s.getApplicationProtocol()).isEqualTo("h2");
      java.io.OutputStream out = s.getOutputStream();
      java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      writeFrame(out, 0x4, 0, new byte[0]); // our SETTINGS (all defaults)
      for (int i = 0; i < 5; i++) {
        writeFrame(out, 0x6, 0, ("pingpin" + i).getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
      assertThat(pingAcks(in, out, 5)).as("every ping answered with its own payload")
          .containsExactly("pingpin0", "pingpin1", "pingpin2", "pingpin3", "pingpin4");
      // the connection stays: another ping later is answered as well
      writeFrame(out, 0x6, 0, "stillok!".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(pingAcks(in, out, 1)).containsExactly("stillok!");
    }
  }

  private static void writeFrame(java.io.OutputStream out, int type, int flags, byte[] payload) throws IOException {
    int n = payload.length;
    out.write(new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type, (byte) flags, 0, 0, 0, 0});
    out.write(payload);
  }

  /**
   * Reads frames until {@code count} PING ACKs came (acknowledging the edge's SETTINGS on the way),
   * failing on a GOAWAY; returns the acks' payloads in order.
   */
  private static List<String> pingAcks(java.io.DataInputStream in, java.io.OutputStream out, int count)
      throws IOException {
    List<String> acks = new ArrayList<>();
    while (acks.size() < count) {
      byte[] head = new byte[9];
      in.readFully(head);
      int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
      int type = head[3] & 0xff;
      int flags = head[4] & 0xff;
      byte[] payload = new byte[length];
      in.readFully(payload);
      if (type == 0x7) {
        throw new AssertionError("the edge sent GOAWAY");
      } else if (type == 0x4 && (flags & 0x1) == 0) {
        writeFrame(out, 0x4, 0x1, new byte[0]);
        out.flush();
      } else if (type == 0x6 && (flags & 0x1) != 0) {
        acks.add(new String(payload, StandardCharsets.US_ASCII));
      }
    }
    return acks;
  }

  /** Trusts the edge's test certificate (the test checks HTTP/2 framing, not the chain). */
  private static final class TrustingManager implements javax.net.ssl.X509TrustManager {
    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
    }

    @Override
    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return new java.security.cert.X509Certificate[0];
    }
  }
}
