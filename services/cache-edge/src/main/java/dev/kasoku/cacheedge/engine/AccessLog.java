package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;

/** The access-log record of one finished request: what the client asked, what it got, how long it took. */
final class AccessLog {
  private static final AtomicLong IDS = new AtomicLong();
  /** Client-sent text beyond this is cut (the record is bounded whatever the request). */
  private static final int MAX_FIELD = 1024;

  private AccessLog() {}

  /**
   * @param site null when the request never reached one
   * @param canon null when the target was refused before it was canonicalised
   * @param originMs milliseconds to the origin's head, -1 when the origin was not asked
   */
  static AccessLogRecord record(EdgeRuntime rt, HttpServerRequest req, EdgeSite site, String host, String clientIp,
                                CanonicalRequest canon, String cacheOutcome, long originMs, long totalMs) {
    HttpServerResponse resp = req.response();
    String node = rt.settings().nodeId();
    String reqId = req.headers().get(Headers.X_REQUEST_ID);
    if (reqId == null || reqId.length() > 128) {
      reqId = node + "-" + Long.toString(IDS.incrementAndGet(), 36);
    }
    return new AccessLogRecord(Instant.ofEpochMilli(rt.clock().millis()),
        site == null ? null : site.tenant(), site == null ? null : site.site(),
        host, clientIp, req.method().name(), canon == null ? truncate(req.uri()) : canon.uri(),
        Protocol.of(req.version()).logName, resp.getStatusCode(), resp.bytesWritten(), req.bytesRead(),
        truncate(resp.headers().get(HttpHeaders.CONTENT_TYPE)), tlsVersion(req),
        truncate(req.headers().get(Headers.RANGE)), cacheOutcome, originMs, totalMs,
        truncate(req.headers().get(HttpHeaders.USER_AGENT)), truncate(req.headers().get(HttpHeaders.REFERER)),
        node, reqId);
  }

  /** The client connection's TLS protocol ("TLSv1.3"), or null over plain HTTP. */
  private static String tlsVersion(HttpServerRequest req) {
    if (!req.isSSL()) {
      return null;
    }
    SSLSession session = req.connection().sslSession();
    return session == null ? null : session.getProtocol();
  }

  private static String truncate(String s) {
    return s == null || s.length() <= MAX_FIELD ? s : s.substring(0, MAX_FIELD);
  }
}
