package dev.kasoku.cacheedge.origin;

import io.netty.handler.codec.http.HttpMethod;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.streams.ReadStream;

/** One request on its way to an origin: what to write, and the promise its response completes. */
final class OriginRequest {
  final HttpMethod method;
  final String uri;
  final String hostHeader;
  final HeadersMultiMap headers;
  /** The client's body, paused until a connection takes it; null without a body. */
  final ReadStream<Buffer> body;
  final PromiseInternal<OriginResponse> promise;
  /** Sent again once already (after a reused connection turned out closed). */
  boolean retried;
  /** Gets the fields of each 103 (Early Hints) before the final response; null to read past them. */
  Handler<MultiMap> earlyHints;

  OriginRequest(HttpMethod method, String uri, String hostHeader, HeadersMultiMap headers, ReadStream<Buffer> body,
                PromiseInternal<OriginResponse> promise) {
    this.method = method;
    this.uri = uri;
    this.hostHeader = hostHeader;
    this.headers = headers;
    this.body = body;
    this.promise = promise;
  }

  /** RFC 9110 §9.2.2: a request a client may send again without changing what it does. */
  boolean idempotent() {
    return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS
        || method == HttpMethod.PUT || method == HttpMethod.DELETE || method == HttpMethod.TRACE;
  }
}
