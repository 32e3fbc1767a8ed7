package dev.kasoku.auth.impl;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.http.RequestIds;
import dev.kasoku.common.security.SourceAddress;
import io.vertx.core.eventbus.EventBus;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * Sends {@link AuditEvent}s to {@link Addresses#AUDIT} for every mutation and every login attempt.
 * Point-to-point and fire-and-forget: the audit consumer (the logging service) stores them; when no
 * consumer is deployed the event is dropped and the request still succeeds.
 */
public final class Audit {
  public static final String SUCCESS = "success";

  private final EventBus bus;
  private final Clock clock;

  public Audit(EventBus bus, Clock clock) {
    this.bus = bus;
    this.clock = clock;
  }

  /** Records an action done on behalf of the request. */
  public void record(RoutingContext ctx, String actor, String tenant, String action, String target, String outcome) {
    bus.send(Addresses.AUDIT,
        new AuditEvent(clock.instant(), actor, tenant, action, target, SourceAddress.get(ctx), outcome),
        RequestIds.deliveryOptions(ctx));
  }
}
