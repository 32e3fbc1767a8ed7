package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.origin.Origin;
import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.sites.EdgeSite;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.streams.ReadStream;
import java.lang.System.Logger.Level;

/**
 * A {@link Fill}'s request sent to the site's origins: the healthiest origin is chosen, and when no
 * connection could be made to it (the origin never saw the request) the request fails over once to
 * another. Every answer and failure is reported to the origins' health.
 */
final class OriginUpstream implements Fill.Upstream {
  private static final System.Logger LOG = System.getLogger(OriginUpstream.class.getName());

  private final EdgeServerVerticle edge;
  private final EdgeRuntime rt;
  private final EdgeSite site;
  private final HttpMethod method;
  private final String uri;
  private final MultiMap headers;
  private final ReadStream<Buffer> body;
  private final Handler<MultiMap> earlyHints;
  private Origin origin;

  /**
   * @param headers from {@code OriginClients.newHeaders}
   * @param body the client's body, paused, or null
   * @param earlyHints gets the fields of each 103 from the origin, or null to read past them
   */
  OriginUpstream(EdgeServerVerticle edge, EdgeSite site, HttpMethod method, String uri, MultiMap headers,
                 ReadStream<Buffer> body, Handler<MultiMap> earlyHints) {
    this.edge = edge;
    this.rt = edge.runtime();
    this.site = site;
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.body = body;
    this.earlyHints = earlyHints;
  }

  @Override
  public Future<OriginResponse> send() {
    origin = rt.health().choose(site.origins(), null);
    if (origin == null) {
      return Future.failedFuture(new OriginException(OriginException.Kind.CONNECT, "site has no origin"));
    }
    rt.originRequests().incrementAndGet();
    return send(true).onFailure(t -> failed(OriginException.of(t)));
  }

  private Future<OriginResponse> send(boolean mayRetry) {
    return edge.clients().send(site.tenant(), origin, method, uri, headers, body, earlyHints)
        .recover(t -> {
          OriginException oe = OriginException.of(t);
          if (oe.unsent() && (oe.kind() == OriginException.Kind.CONNECT || oe.kind() == OriginException.Kind.TIMEOUT)) {
            rt.health().failure(origin);
            Origin other = mayRetry ? rt.health().choose(site.origins(), origin) : null;
            if (other != null && other != origin) {
              origin = other;
              return send(false);
            }
          }
          return Future.failedFuture(oe);
        });
  }

  @Override
  public void answered(int status) {
    rt.health().answered(origin, status);
  }

  /** The origin's health hears of the failure, except of a refusal by our own address policy. */
  private void failed(OriginException e) {
    if (e.kind() == OriginException.Kind.INVALID_RESPONSE && rt.health().firstInvalidResponse(origin)) {
      LOG.log(Level.WARNING, "origin {0} of {1}/{2} sent an invalid response (reported once per origin): {3}",
          origin.id(), site.tenant(), site.site(), e.getMessage());
    }
    if (e.kind() != OriginException.Kind.FORBIDDEN_ADDRESS && e.kind() != OriginException.Kind.UNRESOLVED) {
      rt.health().failure(origin);
    } else {
      LOG.log(Level.WARNING, "origin refused for {0}/{1}: {2}", site.tenant(), site.site(), e.getMessage());
    }
  }
}
