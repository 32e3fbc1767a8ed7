package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AuditEvent;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore;
import dev.kasoku.logging.LoggingSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The audit trail's use cases: take in the events every service sends, answer a tenant's records,
 * verify chains, apply the retention.
 *
 * <p>Intake: an event that cannot be stored because the store fails is tried again with a doubling
 * back-off (250 ms up to 10 s) for {@link LoggingSettings#intakeRetries} attempts; one that is still
 * not stored then is logged at ERROR with its content and counted ({@link #lost()}), never dropped
 * silently.
 */
public final class AuditService {
  private static final System.Logger LOG = System.getLogger(AuditService.class.getName());
  private static final long FIRST_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 10_000;

  private final Vertx vertx;
  private final AuditStore store;
  private final AuditChain chain;
  private final Clock clock;
  private final LoggingSettings settings;
  private final AtomicLong lost = new AtomicLong();

  public AuditService(Vertx vertx, AuditStore store, Clock clock, LoggingSettings settings) {
    this.vertx = vertx;
    this.store = store;
    this.chain = new AuditChain(store);
    this.clock = clock;
    this.settings = settings;
  }

  /** Stores one event in its chain, retrying while the store fails. */
  public Future<AuditRecord> intake(AuditEvent event) {
    return intake(event, settings.intakeRetries(), FIRST_BACKOFF_MS);
  }

  private Future<AuditRecord> intake(AuditEvent event, int attemptsLeft, long backoffMs) {
    return chain.append(event).recover(e -> {
      if (attemptsLeft <= 1) {
        lost.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "audit event NOT stored after " + settings.intakeRetries()
            + " attempts (" + e.getMessage() + "): " + event);
        return Future.failedFuture(e);
      }
      return Future.<Void>future(p -> vertx.setTimer(backoffMs, t -> p.complete()))
          .compose(v -> intake(event, attemptsLeft - 1, Math.min(backoffMs * 2, MAX_BACKOFF_MS)));
    });
  }

  /** Events that could not be stored since this instance started. */
  public long lost() {
    return lost.get();
  }

  /** A tenant's records in [from, to), in chain order. */
  public Future<List<AuditRecord>> records(String tenant, Instant from, Instant to) {
    return store.records(tenant, from, to, AuditStore.MAX_READ);
  }

  /** Verifies one tenant's chain. */
  public Future<AuditChain.Verification> verify(String tenant) {
    return chain.verify(tenant);
  }

  /** Verifies the platform chain and every tenant's, platform first. */
  public Future<List<AuditChain.Verification>> verifyAll() {
    return store.chains().compose(tenants -> {
      List<Future<AuditChain.Verification>> all = new ArrayList<>();
      all.add(chain.verify(null));
      tenants.forEach(t -> all.add(chain.verify(t)));
      return Future.all(all).map(done -> all.stream().map(Future::result).toList());
    });
  }

  /** Cuts records older than the retention off every chain; completes with how many were cut. */
  public Future<Integer> sweep() {
    Instant before = clock.instant().minus(settings.auditRetention());
    return store.chains().compose(tenants -> {
      List<Future<Integer>> cuts = new ArrayList<>();
      cuts.add(store.trim(null, before));
      tenants.forEach(t -> cuts.add(store.trim(t, before)));
      return Future.all(cuts).map(done -> cuts.stream().mapToInt(Future::result).sum());
    });
  }
}
