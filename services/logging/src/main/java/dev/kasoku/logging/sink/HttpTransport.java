package dev.kasoku.logging.sink;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLException;

/**
 * An http sink: each batch is one {@code POST} of NDJSON (one record a line,
 * {@code Content-Type: application/x-ndjson}), gzip-compressed when the sink asks for it, with the
 * sink's own headers (opened from their sealed form once, when the shipper starts). A 2xx answer
 * accepts the batch. 408, 429 and 5xx answers, refused or reset connections and timeouts are
 * retried; a redirect or any other 4xx marks the sink misconfigured, as does a TLS certificate that
 * does not verify (the JVM's trust store, or the sink's {@code caPem}; the host name is checked).
 */
final class HttpTransport implements Transport {
  private final HttpClient client;
  private final SinkAddresses addresses;
  private final URI url;
  private final boolean https;
  private final int port;
  private final MultiMap headers;
  private final boolean gzip;
  private final long timeoutMs;

  HttpTransport(Vertx vertx, SinkAddresses addresses, LogSink sink, Map<String, String> openHeaders, SinkSettings settings) {
    this.addresses = addresses;
    this.url = URI.create(sink.url());
    this.https = "https".equals(url.getScheme());
    this.port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    this.gzip = Boolean.TRUE.equals(sink.gzip());
    this.timeoutMs = settings.requestTimeout().toMillis();
    HttpClientOptions options = new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
        .setVerifyHost(true)
        .setForceSni(true);
    if (sink.caPem() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(sink.caPem())));
    }
    this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(1));
    this.headers = MultiMap.caseInsensitiveMultiMap();
    openHeaders.forEach(headers::add);
    headers.set(HttpHeaders.CONTENT_TYPE, "application/x-ndjson");
    headers.set(HttpHeaders.USER_AGENT, "Kasoku-LogSink/1");
    if (gzip) {
      headers.set(HttpHeaders.CONTENT_ENCODING, "gzip");
    }
  }

  @Override
  public Buffer encode(List<String> lines) {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    byte[] raw = sb.toString().getBytes(StandardCharsets.UTF_8);
    if (!gzip) {
      return Buffer.buffer(raw);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 6 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: does not happen
    }
    return Buffer.buffer(out.toByteArray());
  }

  @Override
  public Future<Void> send(Buffer batch) {
    String host = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
    String uri = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    return addresses.resolve(host).compose(ip -> {
      RequestOptions request = new RequestOptions()
          .setMethod(HttpMethod.POST)
          .setHost(url.getHost())
          .setPort(port)
          .setURI(uri)
          .setSsl(https)
          .setServer(SocketAddress.inetSocketAddress(port, ip.getHostAddress()))
          .setConnectTimeout(timeoutMs)
          .setIdleTimeout(timeoutMs)
          .setFollowRedirects(false)
          .setHeaders(headers);
      return client.request(request)
          .compose(req -> req.send(batch))
          .compose(resp -> resp.body().map(body -> {
            int status = resp.statusCode();
            if (status >= 200 && status < 300) {
              return (Void) null;
            }
            String text = "HTTP " + status + (body.length() == 0 ? "" : ": " + snippet(body));
            if (status == 408 || status == 429 || status >= 500) {
              throw SinkException.retry(text);
            }
            throw SinkException.misconfigured(text + (status < 400 ? " (redirects are not followed)" : ""));
          }))
          .timeout(timeoutMs * 2, TimeUnit.MILLISECONDS);
    }).recover(HttpTransport::classify);
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

  /** The start of an error answer, printable, for the sink's health. */
  static String snippet(Buffer body) {
    String s = body.getString(0, Math.min(body.length(), 200), "UTF-8");
    return s.replaceAll("[^\\x20-\\x7e]", " ").trim();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
