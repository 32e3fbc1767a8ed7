package dev.kasoku.common.http;

import dev.kasoku.common.store.StoreUnavailableException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;

/**
 * RFC 9457 problem+json responses. Every API error leaves through {@link #send}; the router's
 * {@link #failureHandler()} is the single place where a failed Future becomes a status code.
 */
public final class Problems {
  public static final String CONTENT_TYPE = "application/problem+json";
  private static final System.Logger LOG = System.getLogger(Problems.class.getName());

  private Problems() {}

  /** Writes a problem response unless the response has already started. */
  public static void send(RoutingContext ctx, ApiException e) {
    HttpServerResponse resp = ctx.response();
    if (resp.headWritten()) {
      ctx.request().connection().close();
      return;
    }
    JsonObject body = new JsonObject()
        .put("type", e.type().uri())
        .put("title", e.type().title())
        .put("status", e.status())
        .put("detail", e.getMessage())
        .put("instance", ctx.request().path());
    if (!e.errors().isEmpty()) {
      body.put("errors", new JsonArray(e.errors()));
    }
    String requestId = RequestIds.get(ctx);
    if (requestId != null) {
      body.put("requestId", requestId);
    }
    e.headers().forEach(resp::putHeader);
    resp.setStatusCode(e.status()).putHeader("Content-Type", CONTENT_TYPE)
        .putHeader(Replies.CACHE_CONTROL, Replies.NO_STORE).end(body.toBuffer());
  }

  /** Maps any failure to an {@link ApiException}: ours, validation, HTTP, store outage or a bug. */
  public static ApiException toApiException(Throwable failure, int statusCode) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof StoreUnavailableException) {
      return new ApiException(ProblemType.UNAVAILABLE, "the store is unavailable; retry later");
    }
    if (failure instanceof SchemaValidationException v && v.getOutputUnit() != null) {
      java.util.List<String> errors = new java.util.ArrayList<>();
      leafErrors(v.getOutputUnit(), errors);
      return ApiException.validation(errors.isEmpty() ? java.util.List.of(v.getMessage()) : errors);
    }
    if (failure instanceof ValidatorException v) {
      return ApiException.validation(java.util.List.of(v.getMessage()));
    }
    if (failure instanceof DecodeException) {
      return ApiException.badRequest("the body is not valid JSON");
    }
    if (failure instanceof HttpException http) {
      return fromStatus(http.getStatusCode(), http.getPayload());
    }
    if (failure == null && statusCode > 0) {
      return fromStatus(statusCode, null);
    }
    return null;
  }

  /**
   * Every innermost error of a schema validation result ("at /rules/0/match: ..."), so one 400
   * names each offending field rather than only the first enclosing property.
   */
  private static void leafErrors(OutputUnit unit, java.util.List<String> out) {
    java.util.List<OutputUnit> children = unit.getErrors();
    if (children == null || children.isEmpty()) {
      if (unit.getError() != null) {
        String at = unit.getInstanceLocation() == null || unit.getInstanceLocation().isEmpty()
            ? "body" : unit.getInstanceLocation();
        String line = at + ": " + unit.getError();
        if (!out.contains(line)) {
          out.add(line);
        }
      }
      return;
    }
    for (OutputUnit child : children) {
      leafErrors(child, out);
    }
  }

  /** Route failure handler: install with {@code router.route().failureHandler(Problems.failureHandler())}. */
  public static Handler<RoutingContext> failureHandler() {
    return ctx -> {
      ApiException api = toApiException(ctx.failure(), ctx.statusCode());
      if (api == null) {
        LOG.log(System.Logger.Level.ERROR, "unhandled failure on " + ctx.request().method() + " " + ctx.request().path()
            + " requestId=" + RequestIds.get(ctx), ctx.failure());
        api = new ApiException(ProblemType.INTERNAL, "internal error; quote the request id to support");
      }
      send(ctx, api);
    };
  }

  private static ApiException fromStatus(int status, String payload) {
    for (ProblemType t : ProblemType.values()) {
      if (t.status() == status && t != ProblemType.VALIDATION) {
        return new ApiException(t, payload != null ? payload : t.title());
      }
    }
    return new ApiException(status >= 500 ? ProblemType.INTERNAL : ProblemType.BAD_REQUEST,
        payload != null ? payload : "HTTP " + status);
  }
}
