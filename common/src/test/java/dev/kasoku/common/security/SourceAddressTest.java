package dev.kasoku.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The source address, over a real loopback connection. */
class SourceAddressTest {
  private static Vertx vertx;
  private static HttpServer server;
  private static HttpClient client;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    List<Cidr> trusted = List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("10.0.0.0/8"));
    server = Await.result(vertx.createHttpServer()
        .requestHandler(req -> req.response().end(SourceAddress.of(req, trusted)))
        .listen(0, "127.0.0.1"));
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  @AfterAll
  static void stop() {
    Await.result(vertx.close());
  }

  private static String source(String forwardedFor) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(server.actualPort()).setURI("/");
    if (forwardedFor != null) {
      o.addHeader(SourceAddress.FORWARDED_FOR, forwardedFor);
    }
    return Await.result(dev.kasoku.common.testing.OnContext.exchange(vertx, client, o, a -> a.body().toString()));
  }

  @Test
  void aTrustedPeersForwardedForIsReadFromTheRight() {
    assertThat(source(null)).isEqualTo("127.0.0.1");
    assertThat(source("198.51.100.1")).isEqualTo("198.51.100.1");
    assertThat(source("6.6.6.6, 198.51.100.1")).isEqualTo("198.51.100.1");
    assertThat(source("198.51.100.1, 10.1.1.1")).as("trusted hops are skipped").isEqualTo("198.51.100.1");
    assertThat(source("10.2.2.2, 10.1.1.1")).as("all trusted: the left-most").isEqualTo("10.2.2.2");
  }

  @Test
  void anUntrustedPeersHeaderIsIgnored() {
    Vertx v = Vertx.vertx();
    try {
      HttpServer s = Await.result(v.createHttpServer()
          .requestHandler(req -> req.response().end(SourceAddress.of(req, List.of(Cidr.parse("10.0.0.0/8")))))
          .listen(0, "127.0.0.1"));
      HttpClient c = v.createHttpClient();
      String got = Await.result(dev.kasoku.common.testing.OnContext.exchange(v, c, new RequestOptions()
          .setHost("127.0.0.1").setPort(s.actualPort()).setURI("/")
          .addHeader(SourceAddress.FORWARDED_FOR, "198.51.100.1"), a -> a.body().toString()));
      assertThat(got).isEqualTo("127.0.0.1");
    } finally {
      Await.result(v.close());
    }
  }
}
