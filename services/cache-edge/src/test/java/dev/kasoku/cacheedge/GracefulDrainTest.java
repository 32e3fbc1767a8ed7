package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stopping the edge drains it: requests in flight to a slow origin finish (answered with
 * {@code Connection: close}), idle keep-alive connections are closed at once, new connections are
 * refused, and the stop completes only then. Regression: the edge closed its listeners and its
 * origin connections at once, so a request in flight got a 502 a quarter of a second after SIGTERM
 * and keep-alive clients saw read errors.
 */
class GracefulDrainTest {
  private EdgeHarness h;
  private TestOrigin origin;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void setUp() {
    h = new EdgeHarness(s -> s.withConnections(s.connections().withDrainMs(5000)));
    origin = h.origin().handle(req -> {
      inFlight.incrementAndGet();
      h.vertx.setTimer(1200, t -> req.response().putHeader("Cache-Control", "no-store").end("slow " + req.path()));
    });
    h.site("d.example.com", origin, null);
  }

  @AfterEach
  void tearDown() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    h.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", h.port()), 2000);
    s.setSoTimeout(8000);
    return s;
  }

  private static String exchange(Socket s, String path) throws IOException {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: d.example.com\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return readResponse(s);
  }

  private static String readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head.length() + " bytes: " + head);
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

  @Test
  void inFlightRequestsFinishWithConnectionCloseAndIdleConnectionsAreClosedAtOnce() throws Exception {
    Socket idle = connect();
    assertThat(exchange(idle, "/warm")).startsWith("HTTP/1.1 200");
    inFlight.set(0);

    List<Socket> busy = new ArrayList<>();
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Socket s = connect();
      busy.add(s);
      String path = "/busy-" + i;
      answers.add(CompletableFuture.supplyAsync(() -> {
        try {
          return exchange(s, path);
        } catch (IOException e) {
          return "failed: " + e;
        }
      }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (inFlight.get() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(inFlight.get()).as("all four at the slow origin").isEqualTo(4);

    long t0 = System.nanoTime();
    Future<Void> stopped = h.stopEdge();
    idle.setSoTimeout(1500);
    assertThat(idle.getInputStream().read()).as("the idle keep-alive connection is closed at once").isEqualTo(-1);
    assertThat(stopped.isComplete()).as("the stop waits for the requests in flight").isFalse();

    for (CompletableFuture<String> a : answers) {
      String answer = a.get(8, TimeUnit.SECONDS);
      assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").contains("slow /busy-");
    }
    for (Socket s : busy) {
      assertThat(s.getInputStream().read()).as("closed after its last answer").isEqualTo(-1);
    }
    Await.result(stopped);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(tookMs).as("stopped once the slow requests were done, well before the drain limit").isBetween(900L, 4500L);
    assertThatThrownBy(this::connect).as("no new connection is accepted").isInstanceOf(IOException.class);
  }
}
