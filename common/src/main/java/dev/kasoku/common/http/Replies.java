package dev.kasoku.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;
import java.util.List;

/**
 * How every control-plane handler reads a request body and writes its answer. Errors do not pass
 * here: a handler fails its Future with an {@link ApiException} and {@link Problems} writes the
 * problem+json.
 *
 * <p>Answers are JSON encoded by {@link Json#API}, so an {@code Instant} anywhere in a body is
 * written in the API's one timestamp form ({@link dev.kasoku.common.json.Timestamps}); handlers that
 * build a {@link JsonObject} by hand write their times with {@code Timestamps.format}. Every answer
 * carries {@code Cache-Control: no-store} (the API router also sets it before any handler runs).
 */
public final class Replies {
  public static final String CACHE_CONTROL = "Cache-Control";
  public static final String NO_STORE = "no-store";
  public static final String JSON = "application/json";

  private Replies() {}

  /**
   * Writes a JSON answer: a {@link JsonObject} as it is, anything else (a record, a Jackson tree, a
   * map) through {@link Json#API}.
   */
  public static Future<Void> json(RoutingContext ctx, int status, Object body) {
    Buffer encoded;
    if (body instanceof JsonObject object) {
      encoded = object.toBuffer();
    } else {
      try {
        encoded = Buffer.buffer(Json.API.writeValueAsBytes(body));
      } catch (JsonProcessingException e) {
        return Future.failedFuture(e);
      }
    }
    return ctx.response().setStatusCode(status)
        .putHeader("Content-Type", JSON)
        .putHeader(CACHE_CONTROL, NO_STORE)
        .end(encoded);
  }

  /** A 204 answer. */
  public static Future<Void> noContent(RoutingContext ctx) {
    return ctx.response().setStatusCode(204).putHeader(CACHE_CONTROL, NO_STORE).end();
  }

  /**
   * The request's JSON object body decoded to a record. The contract has already validated the
   * body's shape; a body that still does not fit the record (a value out of the record's range) is
   * a 400 naming what is wrong, never a 500.
   */
  public static <T> T body(RoutingContext ctx, Class<T> type) {
    JsonObject json = bodyObject(ctx);
    try {
      return Json.MAPPER.convertValue(json.getMap(), type);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation(List.of("body: " + rootMessage(e)));
    }
  }

  /**
   * The request's JSON body as a Jackson tree, read from the body's text as the client sent it, for
   * handlers that check its meaning themselves (and report every problem at once).
   */
  public static JsonNode bodyTree(RoutingContext ctx) {
    String text = ctx.body() == null || ctx.body().buffer() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    try {
      return Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("the body is not valid JSON");
    }
  }

  private static JsonObject bodyObject(RoutingContext ctx) {
    ValidatedRequest validated = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    JsonObject json = null;
    if (validated != null && validated.getBody() != null && validated.getBody().isJsonObject()) {
      json = validated.getBody().getJsonObject();
    }
    if (json == null) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    return json;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
  }
}
