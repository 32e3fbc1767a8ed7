package dev.kasoku.logging.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.config.Sizes;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.store.LogSinkStore;
import dev.kasoku.common.store.NotificationStore;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each tenant's retention of stored access logs: {@code GET/PUT /v1/tenants/{t}/log-settings}
 * ({@code {"retention": "90d"}}, whole days from {@value #MIN_DAYS} to {@value #MAX_DAYS}; null
 * or absent: the platform's default), kept in the store with the tenant's data, and the retention of
 * each tenant for the sweeper, which every logging instance runs over its own files.
 *
 * <p>Why whole days: retention is a promise about calendar time to a customer ("30 days"), and the
 * sweeper erases whole hour files, so a finer unit would promise a precision it cannot keep.
 */
public final class LogRetention {
  public static final int MIN_DAYS = 1;
  /** A year and a month, as the audit trail: long enough for an annual audit that runs late. */
  public static final int MAX_DAYS = 400;
  private static final System.Logger LOG = System.getLogger(LogRetention.class.getName());
  private final LogSinkStore store;
  private final NotificationStore notifications;
  private final AuditTrail audit;
  private final Clock clock;
  private final Duration platformDefault;

  public LogRetention(LogSinkStore store, NotificationStore notifications, AuditTrail audit, Clock clock,
                      Duration platformDefault) {
    this.store = store;
    this.notifications = notifications;
    this.audit = audit;
    this.clock = clock;
    this.platformDefault = platformDefault;
  }

  /** {@code GET}: the tenant's retention and whether it is the platform's default. */
  public Future<ObjectNode> get(String tenant) {
    return store.logRetentionDays(tenant).map(days -> view(days.orElse(null)));
  }

  /** {@code PUT}: checks the body, stores the retention, audits and announces the change. */
  public Future<ObjectNode> put(String tenant, JsonNode body, Caller caller) {
    Integer days;
    try {
      days = parse(body);
    } catch (ApiException e) {
      audit.record(caller, tenant, "logSettings.put", null, "rejected: validation");
      return Future.failedFuture(e);
    }
    String target = days == null ? "retention=default" : "retention=" + days + "d";
    return store.putLogRetentionDays(tenant, days)
        .onFailure(e -> audit.record(caller, tenant, "logSettings.put", target, "failure"))
        .map(v -> {
          audit.record(caller, tenant, "logSettings.put", target, AuditTrail.SUCCESS);
          notifications.append(new Notification(Ids.random(20), tenant, clock.instant(), "config.changed",
                  "access-log retention set to " + (days == null ? "the default (" + platformDefault.toDays() + " days)"
                      : days + " days") + " by " + caller.actor()))
              .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "notification for tenant " + tenant + " not stored: " + e));
          return view(days);
        });
  }

  /**
   * The body's retention in days, null for the default.
   *
   * @throws ApiException a validation problem naming {@code retention}
   */
  static Integer parse(JsonNode body) {
    JsonNode r = body == null ? null : body.get("retention");
    if (r == null || r.isNull()) {
      return null;
    }
    String text = r.isTextual() ? r.asText() : null;
    Duration d = Sizes.parseDuration(text);
    if (d == null) {
      throw ApiException.validation(List.of("retention: a duration in days, e.g. \"30d\" (or null for the default)"));
    }
    if (d.isNegative() || d.toSeconds() % 86_400 != 0 || d.getNano() != 0) {
      throw ApiException.validation(List.of("retention: whole days, e.g. \"30d\", not " + text));
    }
    long days = d.toDays();
    if (days < MIN_DAYS || days > MAX_DAYS) {
      throw ApiException.validation(List.of("retention: from " + MIN_DAYS + "d to " + MAX_DAYS + "d, not " + text));
    }
    return (int) days;
  }

  /** The retention of each tenant (its own, or the platform's default). */
  public Future<Map<String, Duration>> of(Collection<String> tenants) {
    List<String> ids = new ArrayList<>(tenants);
    List<Future<Duration>> each = new ArrayList<>(ids.size());
    for (String t : ids) {
      each.add(store.logRetentionDays(t).map(days -> days.map(n -> Duration.ofDays(n)).orElse(platformDefault)));
    }
    return Future.all(each).map(all -> {
      Map<String, Duration> out = new HashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        out.put(ids.get(i), all.resultAt(i));
      }
      return out;
    });
  }

  private ObjectNode view(Integer days) {
    ObjectNode out = Json.API.createObjectNode();
    out.put("retention", (days == null ? platformDefault.toDays() : days) + "d");
    out.put("default", days == null);
    return out;
  }
}
