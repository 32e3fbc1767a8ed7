package dev.kasoku.auth.impl;

import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.security.OperatorCredentials;
import dev.kasoku.common.store.AccessStore;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The first operator credential. With {@code KASOKU_BOOTSTRAP_TOKEN} set, its hash is recorded (the
 * gate also accepts the configured value directly). Otherwise, at the platform's very first start,
 * one node — the one whose increment of a platform counter returns 1, so exactly one even when
 * several start together — generates a random credential, records its hash and logs it once at
 * WARNING. Later starts find the counter set and log nothing; the credential itself is never
 * stored.
 */
public final class OperatorBootstrap {
  /** "Forever" for markers and counters that must outlive any deployment. */
  public static final Duration FOREVER = Duration.ofDays(3650);
  private static final System.Logger LOG = System.getLogger(OperatorBootstrap.class.getName());

  private final AccessStore access;
  private final Clock clock;

  public OperatorBootstrap(AccessStore access, Clock clock) {
    this.access = access;
    this.clock = clock;
  }

  public Future<Void> run(KasokuConfig config) {
    Instant forever = clock.instant().plus(FOREVER);
    String configured = config.bootstrapToken();
    if (configured != null) {
      if (configured.length() < OperatorCredentials.MIN_LENGTH) {
        return Future.failedFuture(new IllegalStateException("KASOKU_BOOTSTRAP_TOKEN must be at least "
            + OperatorCredentials.MIN_LENGTH + " characters"));
      }
      return access.putMarker(null, OperatorCredentials.markerName(configured), forever);
    }
    return access.incrementCounter(null, OperatorCredentials.BOOTSTRAP_COUNTER, FOREVER).compose(n -> {
      if (n != 1) {
        return Future.succeededFuture();
      }
      String credential = OperatorCredentials.generate();
      return access.putMarker(null, OperatorCredentials.markerName(credential), forever)
          .onSuccess(v -> LOG.log(System.Logger.Level.WARNING, "No KASOKU_BOOTSTRAP_TOKEN: generated the first "
              + "operator credential. It is shown this once and stored only as a hash; keep it in a secret "
              + "store: " + credential))
          // if the hash could not be stored, let the next start try again
          .recover(e -> access.deleteCounter(null, OperatorCredentials.BOOTSTRAP_COUNTER)
              .transform(ignored -> Future.failedFuture(e)));
    });
  }
}
