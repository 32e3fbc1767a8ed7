package dev.kasoku.logging.impl;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.AuditRecord;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * HTTP of the audit operations: a tenant's records as NDJSON with their hashes (for offline
 * verification), a tenant's verification, and the operator's verification of every chain. The gate
 * has admitted the caller (tenant admin, or the operator for the platform-wide check).
 */
public final class AuditHandlers {
  private final AuditService audit;

  public AuditHandlers(AuditService audit) {
    this.audit = audit;
  }

  public void records(RoutingContext rc) {
    Instant from;
    Instant to;
    try {
      from = instant(rc, "from");
      to = instant(rc, "to");
    } catch (ApiException e) {
      rc.fail(e);
      return;
    }
    if (from != null && to != null && !from.isBefore(to)) {
      rc.fail(ApiException.validation(List.of("to: must be after from")));
      return;
    }
    audit.records(rc.pathParam("t"), from, to).compose(records -> {
      Buffer out = Buffer.buffer(records.size() * 320);
      for (AuditRecord r : records) {
        out.appendString(encode(r)).appendByte((byte) '\n');
      }
      return rc.response().setStatusCode(200).putHeader("Content-Type", "application/x-ndjson")
          .putHeader(Replies.CACHE_CONTROL, Replies.NO_STORE).end(out);
    }).onFailure(rc::fail);
  }

  public void verify(RoutingContext rc) {
    audit.verify(rc.pathParam("t")).compose(v -> Replies.json(rc, 200, view(v))).onFailure(rc::fail);
  }

  public void verifyAll(RoutingContext rc) {
    audit.verifyAll().compose(all -> {
      JsonArray chains = new JsonArray();
      long records = 0;
      boolean ok = true;
      for (AuditChain.Verification v : all) {
        chains.add(view(v).put("chain", v.chain() == null ? "platform" : v.chain()));
        records += v.records();
        ok &= v.ok();
      }
      return Replies.json(rc, 200, new JsonObject().put("ok", ok).put("records", records).put("chains", chains));
    }).onFailure(rc::fail);
  }

  private static JsonObject view(AuditChain.Verification v) {
    return new JsonObject().put("ok", v.ok()).put("records", v.records()).put("head", v.head())
        .put("firstBad", v.firstBad() == null ? null
            : new JsonObject().put("seq", v.firstBad().seq()).put("reason", v.firstBad().reason()));
  }

  private static String encode(AuditRecord r) {
    try {
      return Json.API.writeValueAsString(r);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot encode an audit record", e);
    }
  }

  private static Instant instant(RoutingContext rc, String name) {
    String value = rc.queryParams().get(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.validation(List.of(name + ": not an RFC 3339 UTC timestamp (e.g. 2026-12-01T00:00:00Z): "
          + value));
    }
  }
}
