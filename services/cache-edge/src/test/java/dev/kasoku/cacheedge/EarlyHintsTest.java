package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interim responses through the edge, RFC 9110 §15.2: "A proxy MUST forward 1xx responses unless the
 * proxy itself requested the generation of the 1xx response", and RFC 9111 §3: a cache stores only
 * a final response. A real origin answers {@code 103 Early Hints} and then, later, its 200.
 */
class EarlyHintsTest {
  private static final String LINK = "</styles.css>; rel=preload; as=style";

  private EdgeHarness h;
  private TestOrigin origin;

  /** What a client saw: the 103s' fields, then the final response. */
  private record Seen(List<MultiMap> hints, Resp response) {}

  @BeforeEach
  void setUp() {
    h = new EdgeHarness(s -> s, true);
    origin = h.origin();
    origin.handle(req -> {
      var resp = req.response();
      resp.writeEarlyHints(HttpHeaders.headers().add("Link", LINK).add("X-My-Header", "test"));
      h.vertx.setTimer(50, t -> resp.putHeader("Cache-Control", req.path().startsWith("/pass") ? "no-store"
          : "max-age=100000").end("final"));
    });
    h.site("hints.example.com", origin, null);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private Seen get(HttpClient client, int port, String path) {
    List<MultiMap> hints = new CopyOnWriteArrayList<>();
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET)
        .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
        .setHost("hints.example.com").setPort(port).setURI(path);
    Resp r = Await.result(client.request(o).compose(req -> {
      req.earlyHintsHandler(m -> hints.add(HttpHeaders.headers().addAll(m)));
      return req.send().compose(resp -> resp.body().map(b -> new Resp(resp.statusCode(), resp.headers(), b)));
    }));
    return new Seen(hints, r);
  }

  @Test
  void a103IsForwardedAndTheFinalResponseIsStoredWithoutItsFields() {
    Seen miss = get(h.client, h.port(), "/page");

    assertThat(miss.hints()).hasSize(1);
    assertThat(miss.hints().get(0).get("Link")).isEqualTo(LINK);
    assertThat(miss.hints().get(0).get("X-My-Header")).isEqualTo("test");
    assertThat(miss.response().status()).isEqualTo(200);
    assertThat(miss.response().text()).isEqualTo("final");
    assertThat(miss.response().cacheStatus()).contains("stored");
    assertThat(miss.response().header("X-My-Header")).isNull();

    Seen hit = get(h.client, h.port(), "/page");

    assertThat(hit.response().cacheStatus()).startsWith("Kasoku; hit");
    assertThat(hit.response().text()).isEqualTo("final");
    assertThat(hit.hints()).isEmpty(); // the interim response was not stored
    assertThat(hit.response().header("X-My-Header")).isNull();
    assertThat(origin.count()).isEqualTo(1);
  }

  @Test
  void a103IsForwardedOnAnUncacheableRequestToo() {
    Seen first = get(h.client, h.port(), "/pass");
    Seen second = get(h.client, h.port(), "/pass");

    assertThat(first.hints()).hasSize(1);
    assertThat(second.hints()).hasSize(1);
    assertThat(second.response().text()).isEqualTo("final");
    assertThat(origin.count()).isEqualTo(2);
  }

  @Test
  void a103IsForwardedOverHttp2() {
    HttpClient h2 = h.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setSsl(true).setUseAlpn(true).setTrustAll(true).setVerifyHost(false), new PoolOptions().setHttp2MaxSize(1));
    try {
      Seen miss = get(h2, h.tlsPort(), "/h2");

      assertThat(miss.hints()).hasSize(1);
      assertThat(miss.hints().get(0).get("Link")).isEqualTo(LINK);
      assertThat(miss.response().text()).isEqualTo("final");
      Seen hit = get(h2, h.tlsPort(), "/h2");
      assertThat(hit.response().cacheStatus()).startsWith("Kasoku; hit");
      assertThat(hit.hints()).isEmpty();
    } finally {
      Await.result(h2.close());
    }
  }

  /** RFC 9110 §15.2: "A server MUST NOT send a 1xx response to an HTTP/1.0 client." */
  @Test
  void noInterimResponseGoesToAnHttp10Client() {
    String answer = h.raw("GET /old HTTP/1.0\r\nHost: hints.example.com\r\n\r\n", false, 3000);

    assertThat(answer).doesNotContain(" 103 ").doesNotContain("X-My-Header");
    assertThat(answer).contains(" 200 ").endsWith("final");
  }

  /** On the wire (HTTP/1.1): the 103 with its fields, then the final response, each a message of its own. */
  @Test
  void onTheWireThe103PrecedesTheFinalResponse() {
    String answer = h.raw("GET /wire HTTP/1.1\r\nHost: hints.example.com\r\nConnection: close\r\n\r\n", false, 3000);

    assertThat(answer).startsWith("HTTP/1.1 103 Early Hints\r\n");
    String interim = answer.substring(0, answer.indexOf("\r\n\r\n"));
    assertThat(interim).contains("Link: " + LINK).contains("X-My-Header: test").doesNotContain("Cache-Control");
    String rest = answer.substring(interim.length() + 4);
    assertThat(rest).startsWith("HTTP/1.1 200 ").contains("Cache-Control: max-age=100000").doesNotContain("X-My-Header")
        .endsWith("final");
  }

}
