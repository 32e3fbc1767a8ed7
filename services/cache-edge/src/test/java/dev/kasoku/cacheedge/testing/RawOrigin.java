package dev.kasoku.cacheedge.testing;

import dev.kasoku.common.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An origin on 127.0.0.1 that records every byte it receives, on every connection, before any HTTP
 * parsing: what the edge put on the wire, not what a server made of it. It answers each request
 * head it sees (bodies are not expected) with a short 200 that names the request line.
 */
public final class RawOrigin implements AutoCloseable {
  private final NetServer server;
  private final StringBuffer received = new StringBuffer();

  public RawOrigin(Vertx vertx) {
    server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0))
        .connectHandler(socket -> {
          StringBuilder pending = new StringBuilder();
          socket.handler(buf -> {
            String text = buf.toString(StandardCharsets.ISO_8859_1);
            received.append(text);
            pending.append(text);
            int end;
            while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
              String requestLine = pending.substring(0, pending.indexOf("\r\n"));
              pending.delete(0, end + 4);
              String body = "saw " + requestLine;
              socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: "
                  + body.length() + "\r\n\r\n" + body));
            }
          });
        });
    Await.result(server.listen());
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Everything received so far, all connections concatenated. */
  public String received() {
    return received.toString();
  }

  /** The request lines received so far. */
  public List<String> requestLines() {
    List<String> out = new ArrayList<>();
    for (String line : received().split("\r\n")) {
      if (line.matches("[A-Z]+ \\S+ HTTP/1\\.[01]")) {
        out.add(line);
      }
    }
    return out;
  }

  @Override
  public void close() {
    Await.result(server.close());
  }
}
