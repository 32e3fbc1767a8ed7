package dev.kasoku.portal.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The portal's files, read from the classpath once and kept in memory (a few hundred kB): the
 * pages under {@code portal/} of this jar and uPlot's module and stylesheet from its webjar, served
 * at {@code /portal/vendor/uplot/}. A path is looked up only if it is made of safe characters (no
 * {@code ..}, no backslash, no encoded anything), so nothing outside those two roots can be named.
 */
public final class PortalAssets {
  /** Where the portal is served. */
  public static final String PREFIX = "/portal/";
  /** The uPlot webjar's version (the root pom's uplot.version). */
  public static final String UPLOT_VERSION = "1.6.30";
  /**
   * The Content-Security-Policy of every portal answer: scripts, styles, images and API calls from
   * this origin only, no inline script or style element, no plugins, no framing, no base or form
   * redirection.
   */
  public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'; object-src 'none'";
  private static final String UPLOT_ROOT = "META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/";
  private static final String VENDOR = "vendor/uplot/";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_./-]{0,200}");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "svg", "image/svg+xml",
      "json", "application/json",
      "md", "text/markdown; charset=utf-8",
      "png", "image/png",
      "ico", "image/x-icon");

  private final Vertx vertx;
  private final ClassLoader loader;
  private final Map<String, Future<Buffer>> cache = new ConcurrentHashMap<>();

  public PortalAssets(Vertx vertx, ClassLoader loader) {
    this.vertx = vertx;
    this.loader = loader;
  }

  /** Puts the portal's security headers on an answer. */
  public static void secure(HttpServerResponse response) {
    response.putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Cross-Origin-Opener-Policy", "same-origin")
        .putHeader("Cross-Origin-Resource-Policy", "same-origin");
  }

  /** Loads the entry page and uPlot, failing the start if the build left them out. */
  public Future<Void> load() {
    return Future.all(find("index.html"), find(VENDOR + "uPlot.esm.js"), find(VENDOR + "uPlot.min.css"))
        .compose(all -> {
          for (int i = 0; i < all.size(); i++) {
            if (all.resultAt(i) == null) {
              return Future.failedFuture("the portal's assets are missing from the classpath");
            }
          }
          return Future.succeededFuture();
        });
  }

  /** Readiness: the entry page is there. */
  public Future<?> check() {
    return find("index.html").compose(b -> b == null ? Future.failedFuture("no index.html") : Future.succeededFuture());
  }

  /** GET/HEAD {@code /portal/...}: the file, or 404. */
  public void serve(RoutingContext rc) {
    HttpServerResponse response = rc.response();
    secure(response);
    String path = rc.request().path().substring(PREFIX.length());
    if (path.isEmpty()) {
      path = "index.html";
    }
    String name = path;
    if (!SAFE.matcher(name).matches() || name.contains("..") || name.contains("//")) {
      notFound(response);
      return;
    }
    find(name).onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        notFound(response);
        return;
      }
      response.putHeader("Content-Type", type(name));
      if (rc.request().method() == HttpMethod.HEAD) {
        response.putHeader("Content-Length", Integer.toString(ar.result().length())).end();
      } else {
        response.end(ar.result());
      }
    });
  }

  private static void notFound(HttpServerResponse response) {
    response.setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8").end("not found\n");
  }

  private static String type(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "application/octet-stream" : TYPES.getOrDefault(name.substring(dot + 1), "application/octet-stream");
  }

  /** The file's bytes, or null when there is none. Absent files are not cached (any path could be asked). */
  private Future<Buffer> find(String name) {
    Future<Buffer> known = cache.get(name);
    if (known != null) {
      return known;
    }
    String resource = name.startsWith(VENDOR) ? UPLOT_ROOT + name.substring(VENDOR.length()) : "portal/" + name;
    Future<Buffer> read = vertx.executeBlocking(() -> {
      if (resource.endsWith("/")) {
        return null;
      }
      try (InputStream in = loader.getResourceAsStream(resource)) {
        return in == null ? null : Buffer.buffer(in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, false);
    return read.onSuccess(b -> {
      if (b != null) {
        cache.put(name, Future.succeededFuture(b));
      }
    });
  }
}
