package dev.kasoku.logging.sink;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.json.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A syslog sink: each record is one RFC 5424 message, framed by octet counting (RFC 6587, 3.4.1:
 * {@code MSG-LEN SP SYSLOG-MSG}) on one long-lived TCP connection, or TLS (RFC 5425, the same
 * framing) with the server's certificate verified against its name (the JVM's trust store or the
 * sink's {@code caPem}).
 *
 * <p>A message: {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME - access - MSG}; PRI is the sink's facility
 * with the severity of the response (err for 5xx, warning for 4xx, info otherwise), TIMESTAMP the
 * record's, HOSTNAME the edge node that served the request, MSG the record's JSON (the sink's
 * fields). A field the sink leaves out of its selection is NILVALUE ({@code -}) in the header.
 *
 * <p><b>Acknowledgement.</b> Syslog has none: a batch counts as accepted once it is written to the
 * connection. A receiver that dies with records in its socket buffer loses them without telling,
 * which is why the connection is dropped and reopened on any error and HTTP sinks are the choice when
 * every record must provably arrive.
 */
final class SyslogTransport implements Transport {
  private final NetClient client;
  private final SinkAddresses addresses;
  private final String host;
  private final int port;
  private final boolean tls;
  private final ClientSSLOptions ssl;
  private final int facility;
  private final String appName;
  private final long timeoutMs;
  private NetSocket socket;

  SyslogTransport(Vertx vertx, SinkAddresses addresses, LogSink sink, SinkSettings settings) {
    this.addresses = addresses;
    this.host = SinkDocuments.hostOf(sink.address());
    this.port = SinkDocuments.portOf(sink.address());
    this.tls = Boolean.TRUE.equals(sink.tls());
    this.facility = SinkDocuments.FACILITIES.getOrDefault(sink.facility(), 16);
    this.appName = sink.appName() == null ? SinkDocuments.DEFAULT_APP_NAME : sink.appName();
    this.timeoutMs = settings.requestTimeout().toMillis();
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true));
    ClientSSLOptions options = new ClientSSLOptions().setHostnameVerificationAlgorithm("HTTPS");
    if (sink.caPem() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(sink.caPem())));
    }
    this.ssl = options;
  }

  @Override
  public Buffer encode(List<String> lines) {
    Buffer out = Buffer.buffer(lines.size() * 400);
    for (String line : lines) {
      byte[] msg = message(line).getBytes(StandardCharsets.UTF_8);
      out.appendString(Integer.toString(msg.length)).appendByte((byte) ' ').appendBytes(msg);
    }
    return out;
  }

  /** The RFC 5424 message of one shipped record. */
  String message(String line) {
    JsonNode r;
    try {
      r = Json.MAPPER.readTree(line);
    } catch (java.io.IOException e) {
      r = Json.MAPPER.createObjectNode();
    }
    int status = r.path("status").asInt(0);
    int severity = status >= 500 ? 3 : status >= 400 ? 4 : 6;
    Instant ts = SinkReader.timestamp(line);
    return "<" + (facility * 8 + severity) + ">1 " + (ts == null ? "-" : Timestamps.format(ts)) + " "
        + headerField(r.path("node").asText(null), 255) + " " + appName + " - access - " + line;
  }

  /** A header field: printable US-ASCII without spaces, bounded; NILVALUE when absent. */
  private static String headerField(String value, int max) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    StringBuilder sb = new StringBuilder(Math.min(value.length(), max));
    for (int i = 0; i < value.length() && sb.length() < max; i++) {
      char c = value.charAt(i);
      sb.append(c > 32 && c < 127 ? c : '_');
    }
    return sb.toString();
  }

  @Override
  public Future<Void> send(Buffer batch) {
    return connected()
        .compose(s -> s.write(batch).timeout(timeoutMs, TimeUnit.MILLISECONDS)
            .onFailure(e -> drop(s)))
        .recover(SyslogTransport::classify);
  }

  private Future<NetSocket> connected() {
    if (socket != null) {
      return Future.succeededFuture(socket);
    }
    return addresses.resolve(host).compose(ip -> {
      ConnectOptions options = new ConnectOptions()
          .setRemoteAddress(SocketAddress.inetSocketAddress(port, ip.getHostAddress()))
          .setHost(host)
          .setPort(port)
          .setTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
          .setSsl(tls);
      if (tls) {
        options.setSslOptions(ssl);
        if (dev.kasoku.common.net.Cidr.parseLiteral(host) == null) {
          options.setSniServerName(host);
        }
      }
      return client.connect(options);
    }).map(s -> {
      socket = s;
      s.closeHandler(v -> {
        if (socket == s) {
          socket = null;
        }
      });
      s.exceptionHandler(e -> drop(s));
      // a syslog server sends nothing back: anything it does send is read and dropped
      s.handler(b -> { });
      return s;
    });
  }

  private void drop(NetSocket s) {
    if (socket == s) {
      socket = null;
    }
    s.close();
  }

  private static Future<Void> classify(Throwable e) {
    if (e instanceof SinkException) {
      return Future.failedFuture(e);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return Future.failedFuture(SinkException.misconfigured("TLS: " + SinkException.rootMessage(t)));
      }
    }
    return Future.failedFuture(SinkException.retry(e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage())));
  }

  @Override
  public Future<Void> close() {
    NetSocket s = socket;
    socket = null;
    return (s == null ? Future.<Void>succeededFuture() : s.close()).eventually(client::close);
  }
}
