package dev.kasoku.cacheedge.tls;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.security.SecretKeys;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.tls.SecretSealer;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.common.tls.SiteCertificate;
import dev.kasoku.common.tls.SiteKeys;
import dev.kasoku.common.tls.SingleCertificateKeyManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.net.KeyCertOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The certificates of every site, as this edge process serves them on its HTTPS listener: one
 * instance per process, shared by every edge server verticle (through {@link #keyCertOptions()}).
 *
 * <p>How it stays current without a restart: at start it loads every site's stored certificate and
 * sealed key from the store (the key opened with the key derived from {@code KASOKU_SECRET_KEY}).
 * A {@code kasoku.config.changed} message reloads that one site; version 0 (site deleted) and
 * {@code kasoku.tenant.deleted} drop entries; and because a bus message can be lost, the store's
 * change epoch is polled and any change reloads every site. Each change publishes a new immutable
 * {@link CertificateTable}; the {@link SiteKeyManager} reads the current one at every handshake, so
 * the next handshake after a change uses the new certificate, while connections already open keep
 * their session. Updates are applied one at a time in arrival order.
 *
 * <p>Parsing and key checks run off the event loop. Private keys are never logged: failures name
 * the site and what failed only.
 */
public final class CertificateBook {
  private static final System.Logger LOG = System.getLogger(CertificateBook.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How often the store's change epoch is compared with the last one seen. */
  public static final Duration DEFAULT_EPOCH_POLL = Duration.ofSeconds(2);
  /** Subject name of the default certificate: under .invalid (RFC 2606), so it names nobody. */
  public static final String DEFAULT_CERTIFICATE_NAME = "kasoku-edge.invalid";

  private final Vertx vertx;
  private final KasokuConfig config;
  private final SiteStore sites;
  private final Clock clock;
  private final Duration epochPoll;
  private final Duration ticketRotation;
  /** The listener's TLS implementation and its ticket keys, chosen at {@link #start}. */
  private volatile EdgeTlsEngine engine;
  private final KeyCertOptions keyCertOptions = new DynamicKeyCertOptions(
      SingleCertificateKeyManager.factoryOf(new SiteKeyManager(this)));

  private volatile CertificateTable table;
  /** The table before the current one, so a handshake that chose an alias just before a swap completes. */
  private volatile CertificateTable previous;
  private SecretSealer sealer;
  private MessageConsumer<Messages.ConfigChanged> changes;
  private MessageConsumer<Messages.TenantDeleted> tenantDeletions;
  private long pollTimer = -1;
  private long seenEpoch = Long.MIN_VALUE;
  /** Tail of the update queue: each table change runs after the previous one. */
  private Future<?> updates = Future.succeededFuture();

  public CertificateBook(Vertx vertx, KasokuConfig config, SiteStore sites, Clock clock, Duration epochPoll) {
    this(vertx, config, sites, clock, epochPoll, SessionTickets.DEFAULT_ROTATION);
  }

  /** With the session-ticket key rotation period given (tests rotate in seconds). */
  public CertificateBook(Vertx vertx, KasokuConfig config, SiteStore sites, Clock clock, Duration epochPoll,
                         Duration ticketRotation) {
    this.ticketRotation = ticketRotation;
    this.vertx = vertx;
    this.config = config;
    this.sites = sites;
    this.clock = clock;
    this.epochPoll = epochPoll;
  }

  /** Loads every site's certificate and subscribes to changes; call from the owning verticle's context. */
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
          // file I/O in dev mode (the generated master secret), key generation: off the event loop
          sealer = SiteKeys.sealer(config);
          // loads the native OpenSSL library where it is chosen: tens of milliseconds, not for an event loop
          engine = EdgeTlsEngine.create(config.edgeTlsProvider(), SecretKeys.master(config), clock, ticketRotation);
          SelfSignedCertificates.Generated def = SelfSignedCertificates.generate(List.of(DEFAULT_CERTIFICATE_NAME),
              clock.instant().minus(1, ChronoUnit.HOURS), clock.instant().plus(825, ChronoUnit.DAYS));
          warmUpTls(def, engine);
          return CertificateTable.empty(def.siteCertificate());
        })
        .compose(empty -> {
          table = empty;
          previous = empty;
          // a store that is down at start must not keep the edge down: the epoch poll loads later
          return reloadAll().recover(e -> {
            LOG.log(System.Logger.Level.WARNING, "site certificates not loaded yet (" + e.getMessage()
                + "); retrying with the change-epoch poll");
            return Future.succeededFuture();
          });
        })
        .compose(loaded -> {
          changes = Addresses.CONFIG_CHANGED.consumer(vertx.eventBus(), m -> onChange(m.body()));
          tenantDeletions = Addresses.TENANT_DELETED.consumer(vertx.eventBus(), m -> enqueue(() -> install(table.withoutTenant(m.body().tenant()))));
          pollTimer = vertx.setPeriodic(epochPoll.toMillis(), id -> {
            engine.refresh();
            pollEpoch();
          });
          return Future.all(changes.completion(), tenantDeletions.completion()).mapEmpty();
        });
  }

  /**
   * Netty's JDK TLS server context runs a one-time class initialisation that builds a PKCS#12 key
   * store (a PBKDF2 key derivation): seconds on a loaded machine; its OpenSSL context initialises
   * the native library's tables. Vert.x would trigger either on the event loop at the first
   * handshake, stalling every connection of that loop; doing it here, on a worker thread at start,
   * keeps it off the request path.
   */
  private static void warmUpTls(SelfSignedCertificates.Generated cert, EdgeTlsEngine engine) {
    try {
      io.netty.util.ReferenceCountUtil.release(
          io.netty.handler.ssl.SslContextBuilder.forServer(cert.keyPair().getPrivate(), cert.certificate())
              .sslProvider(engine.isOpenSsl() ? io.netty.handler.ssl.SslProvider.OPENSSL
                  : io.netty.handler.ssl.SslProvider.JDK).build());
    } catch (javax.net.ssl.SSLException e) {
      LOG.log(System.Logger.Level.WARNING, "TLS warm-up failed (the first handshake will pay for it): " + e);
    }
  }

  public Future<Void> stop() {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
    Future<Void> a = changes == null ? Future.succeededFuture() : changes.unregister();
    Future<Void> b = tenantDeletions == null ? Future.succeededFuture() : tenantDeletions.unregister();
    return Future.all(a, b).mapEmpty();
  }

  /** Key/certificate options for an HTTPS listener: the certificate is chosen by SNI at each handshake. */
  public KeyCertOptions keyCertOptions() {
    return keyCertOptions;
  }

  /** The HTTPS listener's TLS implementation (OpenSSL or the JDK's); set once {@link #start} succeeded. */
  public EdgeTlsEngine engine() {
    EdgeTlsEngine e = engine;
    if (e == null) {
      throw new IllegalStateException("the certificate book is not started");
    }
    return e;
  }

  /** The certificates currently served. */
  public CertificateTable table() {
    return table;
  }

  SiteCertificate byAlias(String alias) {
    SiteCertificate c = table.byAlias(alias);
    return c != null ? c : previous.byAlias(alias);
  }

  private void onChange(Messages.ConfigChanged change) {
    if (change.version() == 0) {
      enqueue(() -> install(table.without(change.tenant(), change.site())));
      return;
    }
    enqueue(() -> sites.current(change.tenant(), change.site()).compose(current -> {
      if (current.isEmpty()) {
        return install(table.without(change.tenant(), change.site()));
      }
      SiteVersion v = current.get();
      Optional<CertificateTable.SiteEntry> held = table.site(v.tenant(), v.site());
      if (held.isPresent() && held.get().version() >= v.version()) {
        return Future.succeededFuture();
      }
      return vertx.executeBlocking(() -> entry(v)).compose(e -> install(e.isPresent()
          ? table.with(e.get()) : table.without(v.tenant(), v.site())));
    }));
  }

  private void pollEpoch() {
    sites.changeEpoch().onSuccess(epoch -> {
      if (epoch != seenEpoch) {
        enqueue(this::reloadAll);
      }
    }).onFailure(e -> LOG.log(System.Logger.Level.DEBUG, "change epoch unavailable: " + e));
  }

  /** Rebuilds the whole table from the store. */
  private Future<Void> reloadAll() {
    return sites.changeEpoch().compose(epoch -> sites.listAllCurrent().compose(all ->
        vertx.executeBlocking(() -> {
          Map<String, CertificateTable.SiteEntry> entries = new HashMap<>();
          for (SiteVersion v : all) {
            entry(v).ifPresent(e -> entries.put(e.key(), e));
          }
          return entries;
        })).compose(entries -> {
          seenEpoch = epoch;
          return install(table.replacingAll(entries));
        }));
  }

  private void enqueue(Supplier<Future<?>> step) {
    updates = updates.transform(ignored -> {
      try {
        return step.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }).onFailure(e -> LOG.log(System.Logger.Level.WARNING, "TLS certificate update failed: " + e));
  }

  private Future<Void> install(CertificateTable next) {
    previous = table;
    table = next;
    return Future.succeededFuture();
  }

  /** The site's certificate entry, or empty when it has no TLS (or unusable TLS, which is logged). */
  private Optional<CertificateTable.SiteEntry> entry(SiteVersion v) {
    JsonNode tls;
    try {
      tls = JSON.readTree(v.configJson()).get("tls");
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "site " + v.tenant() + "/" + v.site() + " v" + v.version()
          + ": stored config does not decode; no certificate served");
      return Optional.empty();
    }
    if (tls == null || !tls.hasNonNull("certificatePem") || !tls.hasNonNull("privateKeyPem")) {
      return Optional.empty();
    }
    try {
      String keyPem = sealer.open(tls.get("privateKeyPem").asText(), SiteKeys.context(v.tenant(), v.site()));
      SiteCertificate cert = SiteCertificate.load(tls.get("certificatePem").asText(), keyPem);
      return Optional.of(new CertificateTable.SiteEntry(v.tenant(), v.site(), v.version(), v.hostnames(), cert));
    } catch (IllegalArgumentException e) {
      // the message names what failed, never the key material
      LOG.log(System.Logger.Level.WARNING, "site " + v.tenant() + "/" + v.site() + " v" + v.version()
          + ": certificate not served: " + e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Key/cert options whose one key manager decides per handshake ({@link SiteKeyManager}); no
   * per-name mapping, so Vert.x builds one TLS context and never caches a certificate per name.
   */
  private record DynamicKeyCertOptions(javax.net.ssl.KeyManagerFactory factory) implements KeyCertOptions {
    @Override
    public KeyCertOptions copy() {
      return this;
    }

    @Override
    public javax.net.ssl.KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
      return factory;
    }

    @Override
    public java.util.function.Function<String, javax.net.ssl.KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
      return null;
    }
  }
}
