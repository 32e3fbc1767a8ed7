package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.EdgeHarness.Resp;
import dev.kasoku.common.testing.Await;
import io.vertx.core.net.NetServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An origin that answers with a malformed response head. Regression: a bare CR or LF in a header
 * value was answered "502 origin unreachable", which sent customers looking at their network, and
 * the cause was never logged.
 */
class InvalidOriginResponseTest {
  private EdgeHarness h;
  private NetServer rawOrigin;
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  /** The engine package's logger: whichever of its classes reports the origin. */
  private final Logger edgeLog = Logger.getLogger("dev.kasoku.cacheedge.engine");
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      logged.add(r);
    }

    @Override
    public void flush() { }

    @Override
    public void close() { }
  };

  @BeforeEach
  void setUp() {
    edgeLog.addHandler(capture);
    h = new EdgeHarness();
  }

  @AfterEach
  void tearDown() {
    edgeLog.removeHandler(capture);
    if (rawOrigin != null) {
      Await.result(rawOrigin.close());
    }
    h.close();
  }

  /** An origin that answers every request with these exact bytes, then closes. */
  private void originSending(String response) {
    rawOrigin = h.vertx.createNetServer().connectHandler(s -> s.handler(b -> {
      if (b.toString().contains("\r\n\r\n")) {
        s.write(response).onComplete(ar -> s.close());
      }
    }));
    Await.result(rawOrigin.listen(0, "127.0.0.1"));
    h.site("raw", "raw.example.com", "[{\"url\":\"http://127.0.0.1:" + rawOrigin.actualPort() + "\"}]", null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"200 OK\r\nX-Note: a\rb", "200 OK\r\nX-Note: a\nb", "200 OK\r\nX-Note: \r",
      "200 OK\r\nX-Note: a\u0000b", "200 O\rK\r\nX-Note: a"})
  void aBareCrOrLfInAHeaderIs502InvalidOriginResponse(String statusAndField) {
    originSending("HTTP/1.1 " + statusAndField + "\r\nContent-Length: 2\r\n\r\nok");

    Resp r = h.get("raw.example.com", "/x");

    assertThat(r.status()).isEqualTo(502);
    assertThat(r.text()).contains("invalid origin response").doesNotContain("unreachable");
  }

  @Test
  void theInvalidOriginIsLoggedOnceNotPerRequest() {
    originSending("HTTP/1.1 200 OK\r\nX-Note: a\rb\r\nContent-Length: 2\r\n\r\nok");

    for (int i = 0; i < 3; i++) {
      assertThat(h.get("raw.example.com", "/x" + i).status()).isEqualTo(502);
    }

    assertThat(logged).filteredOn(r -> r.getMessage().contains("invalid response")).hasSize(1);
  }
}
