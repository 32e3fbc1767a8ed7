package dev.kasoku.auth.impl;

import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.store.AccessStore;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Login lockout: failed logins are counted per user and per source address over a window of
 * {@link #WINDOW}; from the {@value #USER_LIMIT}th failure for a user (the {@value #SOURCE_LIMIT}th for
 * an address) each further failure locks that user (address) out for a growing delay,
 * {@link #BASE_DELAY} doubling per failure up to {@link #MAX_DELAY}. While locked, login answers 429
 * without looking at the password, so guessing stops even when the guess would be right.
 *
 * <p>The counters and locks live in the {@link AccessStore}, so they hold across nodes and
 * restarts; a user's state lives in the tenant's namespace (erased with the tenant). For a tenant
 * that does not exist the same counting happens in platform scope, so lockout behaves identically
 * and does not reveal whether a tenant exists. A success clears the user's counter, not the
 * address's (one valid account must not reset an address that is guessing other accounts).
 *
 * <p>Lock expiry is judged with the injected clock (the store's own expiry only cleans up), which
 * lets tests move time instead of sleeping.
 */
public final class LoginThrottle {
  public static final int USER_LIMIT = 5;
  public static final int SOURCE_LIMIT = 20;
  public static final Duration WINDOW = Duration.ofHours(1);
  public static final Duration BASE_DELAY = Duration.ofSeconds(15);
  public static final Duration MAX_DELAY = Duration.ofMinutes(15);

  private final AccessStore access;
  private final Clock clock;

  public LoginThrottle(AccessStore access, Clock clock) {
    this.access = access;
    this.clock = clock;
  }

  /**
   * Where one login attempt's state is kept.
   *
   * @param scope the tenant for an existing tenant, null (platform scope) otherwise
   * @param user the per-user counter/lock suffix
   * @param source the per-address counter/lock suffix (platform scope)
   */
  public record Subject(String scope, String user, String source) {
    public static Subject of(String tenant, boolean tenantExists, String username, String sourceAddress) {
      String user = tenantExists ? username : tenant + "/" + username;
      return new Subject(tenantExists ? tenant : null, user, sourceKey(sourceAddress));
    }
  }

  /** How long the subject is still locked out; {@link Duration#ZERO} when it is not. */
  public Future<Duration> lockedFor(Subject s) {
    Future<Instant> user = access.getMarker(s.scope(), "login-lock:u:" + s.user());
    Future<Instant> source = access.getMarker(null, "login-lock:ip:" + s.source());
    return Future.all(user, source).map(done -> {
      Instant now = clock.instant();
      Duration left = Duration.ZERO;
      for (Instant until : new Instant[] {user.result(), source.result()}) {
        if (until != null && until.isAfter(now)) {
          Duration d = Duration.between(now, until);
          left = d.compareTo(left) > 0 ? d : left;
        }
      }
      return left;
    });
  }

  /** Counts a failure and locks when a limit is reached. */
  public Future<Void> failed(Subject s) {
    Future<Void> user = access.incrementCounter(s.scope(), "login-fail:u:" + s.user(), WINDOW)
        .compose(n -> lockIfOver(s.scope(), "login-lock:u:" + s.user(), n, USER_LIMIT));
    Future<Void> source = access.incrementCounter(null, "login-fail:ip:" + s.source(), WINDOW)
        .compose(n -> lockIfOver(null, "login-lock:ip:" + s.source(), n, SOURCE_LIMIT));
    return Future.all(user, source).mapEmpty();
  }

  /** Clears the user's failures after a successful login. */
  public Future<Void> succeeded(Subject s) {
    return access.deleteCounter(s.scope(), "login-fail:u:" + s.user());
  }

  /** The lock delay after {@code failures} failures against a limit. */
  public static Duration delay(long failures, int limit) {
    long over = failures - limit;
    if (over < 0) {
      return Duration.ZERO;
    }
    if (over >= 20) {
      return MAX_DELAY;
    }
    Duration d = BASE_DELAY.multipliedBy(1L << over);
    return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
  }

  private Future<Void> lockIfOver(String scope, String marker, long failures, int limit) {
    Duration d = delay(failures, limit);
    if (d.isZero()) {
      return Future.succeededFuture();
    }
    return access.putMarker(scope, marker, clock.instant().plus(d));
  }

  /** An address as a store-key component: the literal when it is one, a digest otherwise. */
  static String sourceKey(String source) {
    try {
      return Cidr.parse(source).toString().replace('/', '_').replace(':', '.');
    } catch (IllegalArgumentException notAnAddress) {
      return "h" + ApiKeys.sha256Hex(source).substring(0, 32);
    }
  }
}
