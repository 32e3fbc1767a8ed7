package dev.kasoku.auth.impl;

import dev.kasoku.common.bus.RecordCodec;
import dev.kasoku.common.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatedRequest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Response and request plumbing shared by the auth handlers. */
final class Replies {
  /** RFC 3339, UTC, milliseconds (API.md). */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Replies() {}

  /** The validated JSON body decoded to a record (the contract has already checked its shape). */
  static <T> T body(RoutingContext ctx, Class<T> type) {
    ValidatedRequest validated = ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    JsonObject json = validated == null || validated.getBody() == null || validated.getBody().isNull()
        ? null : validated.getBody().getJsonObject();
    if (json == null) {
      throw ApiException.badRequest("a JSON object body is required");
    }
    return RecordCodec.MAPPER.convertValue(json.getMap(), type);
  }

  /** Writes JSON; never cached (answers may hold secrets shown once). */
  static Future<Void> json(RoutingContext ctx, int status, JsonObject body) {
    return ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.toBuffer());
  }

  static Future<Void> noContent(RoutingContext ctx) {
    return ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end();
  }

  static String time(Instant t) {
    return TIME.format(t);
  }
}
