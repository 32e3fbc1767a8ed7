package dev.kasoku.common.audit;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.http.RequestIds;
import dev.kasoku.common.security.Caller;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Clock;

/**
 * The one way a control-plane service records an action in the audit trail: every mutation,
 * every refused attempt at one, every login attempt. Each record names the actor, its source
 * address and the request id from the request's {@link Caller}, so no service attributes actions
 * its own way.
 *
 * <p>Records go point-to-point to {@link Addresses#AUDIT}, where the logging service appends them
 * to the tenant's (or the platform's) hash chain. Sending does not wait for that: an audit record
 * must never make the action it describes slower or fail it. When no consumer is deployed the bus
 * drops the record and the action still succeeds.
 *
 * <p>Outcomes are short machine-readable words ({@link #SUCCESS}, {@code failure:<why>},
 * {@code rejected: <why>}, {@code accepted}, ...) that a customer's tooling can filter on.
 */
public final class AuditTrail {
  /** The outcome of an action that did what was asked. */
  public static final String SUCCESS = "success";

  private final EventBus bus;
  private final Clock clock;

  public AuditTrail(EventBus bus, Clock clock) {
    this.bus = bus;
    this.clock = clock;
  }

  /**
   * Records an action done for a caller.
   *
   * @param tenant the tenant the action concerns; null for platform actions
   * @param action what was done, {@code noun.verb} ({@code user.create}, {@code purge.accept})
   * @param target what it was done to (a username, a site and version, a purge description)
   * @param outcome how it ended
   */
  public void record(Caller caller, String tenant, String action, String target, String outcome) {
    record(caller.actor(), caller.sourceIp(), caller.requestId(), tenant, action, target, outcome);
  }

  /**
   * Records an action whose actor is not the request's principal: a login attempt names the user
   * that tried, who has no principal yet.
   */
  public void recordAs(String actor, Caller caller, String tenant, String action, String target, String outcome) {
    record(actor, caller.sourceIp(), caller.requestId(), tenant, action, target, outcome);
  }

  private void record(String actor, String sourceIp, String requestId, String tenant, String action,
                      String target, String outcome) {
    DeliveryOptions options = new DeliveryOptions();
    if (requestId != null) {
      options.addHeader(RequestIds.HEADER, requestId);
    }
    Addresses.AUDIT.send(bus, new AuditEvent(clock.instant(), actor, tenant, action, target, sourceIp, outcome,
        requestId), options);
  }
}
