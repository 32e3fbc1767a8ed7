package dev.kasoku.auth.testing;

import dev.kasoku.common.testing.Await;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/** A blocking HTTP client for tests (called from the JUnit thread, never an event loop). */
public final class Http {
  private final WebClient client;
  private final int port;

  public Http(Vertx vertx, int port) {
    this(vertx, port, null);
  }

  /** @param localAddress the loopback address to send from (e.g. 127.0.0.2), null for the default */
  public Http(Vertx vertx, int port, String localAddress) {
    WebClientOptions options = new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(false);
    if (localAddress != null) {
      options.setLocalAddress(localAddress);
    }
    this.client = WebClient.create(vertx, options);
    this.port = port;
  }

  public int port() {
    return port;
  }

  /** One response, read whole. */
  public record Resp(int status, MultiMap headers, Buffer body) {
    public JsonObject json() {
      return body == null || body.length() == 0 ? new JsonObject() : body.toJsonObject();
    }

    public String text() {
      return body == null ? "" : body.toString();
    }

    @Override
    public String toString() {
      return status + " " + text();
    }
  }

  public Resp send(HttpMethod method, String path, String bearer, JsonObject body) {
    return send(method, path, bearer, body == null ? null : body.toBuffer(), MultiMap.caseInsensitiveMultiMap());
  }

  public Resp send(HttpMethod method, String path, String bearer, Buffer body, MultiMap headers) {
    HttpRequest<Buffer> req = client.request(method, path);
    req.putHeaders(headers);
    if (bearer != null) {
      req.putHeader("Authorization", "Bearer " + bearer);
    }
    io.vertx.core.Future<HttpResponse<Buffer>> f;
    if (body != null) {
      if (!headers.contains("Content-Type")) {
        req.putHeader("Content-Type", "application/json");
      }
      f = req.sendBuffer(body);
    } else {
      f = req.send();
    }
    HttpResponse<Buffer> r = Await.result(f);
    return new Resp(r.statusCode(), r.headers(), r.body());
  }

  public Resp get(String path, String bearer) {
    return send(HttpMethod.GET, path, bearer, null);
  }

  public Resp post(String path, String bearer, JsonObject body) {
    return send(HttpMethod.POST, path, bearer, body);
  }

  public Resp put(String path, String bearer, JsonObject body) {
    return send(HttpMethod.PUT, path, bearer, body);
  }

  public Resp patch(String path, String bearer, JsonObject body) {
    return send(HttpMethod.PATCH, path, bearer, body);
  }

  public Resp delete(String path, String bearer) {
    return send(HttpMethod.DELETE, path, bearer, null);
  }

  public void close() {
    client.close();
  }
}
