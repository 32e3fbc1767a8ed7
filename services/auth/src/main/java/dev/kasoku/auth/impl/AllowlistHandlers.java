package dev.kasoku.auth.impl;

import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AccessChanged;
import dev.kasoku.common.bus.Messages.AccessScope;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.security.Principal;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A tenant's IP allow-list (admin only). Entries are IPv4/IPv6 CIDRs or single addresses, stored
 * normalised ({@code 10.1.2.3/8} becomes {@code 10.0.0.0/8}) and de-duplicated. Every invalid entry is
 * reported at once. A non-empty list that does not contain the caller's own address is refused
 * (409): it would lock the admin out with their very next call.
 */
public final class AllowlistHandlers {
  /** PUT body. */
  public record PutAllowlist(List<String> cidrs) {}

  private final Vertx vertx;
  private final Store store;
  private final AuditTrail audit;

  public AllowlistHandlers(Vertx vertx, Store store, AuditTrail audit) {
    this.vertx = vertx;
    this.store = store;
    this.audit = audit;
  }

  public Future<?> get(RoutingContext ctx) {
    return store.access().getAllowlist(ctx.pathParam("t"))
        .compose(cidrs -> Replies.json(ctx, 200, new JsonObject().put("cidrs", new JsonArray(cidrs))));
  }

  public Future<?> put(RoutingContext ctx) {
    String tenant = ctx.pathParam("t");
    Caller caller = Caller.of(ctx);
    Principal p = caller.requirePrincipal();
    PutAllowlist req = Replies.body(ctx, PutAllowlist.class);
    List<String> errors = new ArrayList<>();
    Set<String> normalised = new LinkedHashSet<>();
    List<Cidr> parsed = new ArrayList<>();
    for (int i = 0; i < req.cidrs().size(); i++) {
      String entry = req.cidrs().get(i);
      try {
        Cidr c = Cidr.parse(entry);
        if (normalised.add(c.toString())) {
          parsed.add(c);
        }
      } catch (IllegalArgumentException e) {
        errors.add("cidrs[" + i + "]: " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      return Future.failedFuture(ApiException.validation(errors));
    }
    String source = Caller.of(ctx).sourceIp();
    if (!parsed.isEmpty() && parsed.stream().noneMatch(c -> c.contains(source))) {
      return Future.failedFuture(ApiException.conflict("the allow-list does not contain your own address "
          + source + "; applying it would lock you out"));
    }
    List<String> stored = List.copyOf(normalised);
    return store.access().putAllowlist(tenant, stored).compose(v -> {
      Addresses.ACCESS_CHANGED.publish(vertx.eventBus(), new AccessChanged(AccessScope.ALLOWLIST, tenant, null));
      audit.record(caller, tenant, "ip-allowlist.put", String.join(",", stored), AuditTrail.SUCCESS);
      return Replies.json(ctx, 200, new JsonObject().put("cidrs", new JsonArray(stored)));
    });
  }
}
