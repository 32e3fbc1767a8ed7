package dev.kasoku.logging.sink;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.json.Timestamps;
import java.time.Instant;
import java.util.List;

/**
 * A sink's health in the API: the cursors of every logging instance that ships it, added up (each
 * instance ships what it stored itself). Counts are summed, the lag is the worst instance's, the
 * last success the latest, the last error the latest one.
 */
final class SinkHealth {
  private SinkHealth() {}

  /** The health of a sink no instance has reported on yet. */
  static ObjectNode none() {
    return of(List.of());
  }

  static ObjectNode of(List<SinkCursor> cursors) {
    long delivered = 0;
    long skipped = 0;
    long lagRecords = 0;
    double lagSeconds = 0;
    long lagBytes = 0;
    Instant lastSuccess = null;
    SinkCursor lastError = null;
    for (SinkCursor c : cursors) {
      delivered += c.delivered();
      skipped += c.skipped();
      lagRecords += c.lagRecords();
      lagBytes += c.lagBytes();
      lagSeconds = Math.max(lagSeconds, c.lagSeconds());
      if (c.lastSuccessAt() != null && (lastSuccess == null || c.lastSuccessAt().isAfter(lastSuccess))) {
        lastSuccess = c.lastSuccessAt();
      }
      if (c.lastErrorAt() != null && (lastError == null || c.lastErrorAt().isAfter(lastError.lastErrorAt()))) {
        lastError = c;
      }
    }
    boolean failing = lastError != null && (lastSuccess == null || lastError.lastErrorAt().isAfter(lastSuccess));
    String status = failing ? (lastError.misconfigured() ? "misconfigured" : "retrying") : cursors.isEmpty() ? "pending" : "ok";
    ObjectNode out = Json.API.createObjectNode();
    out.put("status", status);
    out.put("misconfigured", failing && lastError.misconfigured());
    putTime(out, "lastSuccessAt", lastSuccess);
    out.put("lastError", lastError == null ? null : lastError.lastError());
    putTime(out, "lastErrorAt", lastError == null ? null : lastError.lastErrorAt());
    out.put("lagRecords", lagRecords);
    out.put("lagSeconds", Math.round(lagSeconds * 1000) / 1000.0);
    out.put("lagBytes", lagBytes);
    out.put("delivered", delivered);
    out.put("skipped", skipped);
    out.put("instances", cursors.size());
    return out;
  }

  private static void putTime(ObjectNode out, String key, Instant t) {
    if (t == null) {
      out.putNull(key);
    } else {
      out.put(key, Timestamps.format(t));
    }
  }
}
