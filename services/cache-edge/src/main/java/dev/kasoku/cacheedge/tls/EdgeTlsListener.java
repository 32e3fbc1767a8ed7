package dev.kasoku.cacheedge.tls;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.tls.SecretSealer;
import dev.kasoku.common.tls.SelfSignedCertificates;
import dev.kasoku.common.tls.SiteCertificate;
import dev.kasoku.common.tls.SiteKeys;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The edge's HTTPS listener ({@code KASOKU_EDGE_TLS_PORT}): every site's own certificate, picked by
 * SNI, HTTP/2 and HTTP/1.1 by ALPN, requests handed to the same handler as plain HTTP.
 *
 * <p>How certificates stay current without a restart: the listener keeps a {@link CertificateTable}
 * built from the store (each site's stored certificate and its sealed key, opened with the key
 * derived from {@code KASOKU_SECRET_KEY}). A {@code kasoku.config.changed} message reloads that one
 * site; version 0 (site deleted) and {@code kasoku.tenant.deleted} drop entries; and because a bus
 * message can be lost, the store's change epoch is polled and any change reloads every site. Each
 * new table is installed with {@code HttpServer.updateSSLOptions}: connections already open keep
 * their session, new handshakes use the new table. Updates are applied one at a time in arrival
 * order on this listener's context.
 *
 * <p>Isolation: an SNI name that no site with a certificate holds gets the edge's default
 * certificate (self-signed, generated at start, naming no tenant), never another tenant's. A
 * request whose SNI selected a site's certificate but whose Host names a different site is
 * answered 421 (Misdirected Request, RFC 9110 15.5.20), so one tenant's certificate cannot be used
 * to reach another tenant's site. Private keys are never logged: failures name the site only.
 */
public final class EdgeTlsListener {
  private static final System.Logger LOG = System.getLogger(EdgeTlsListener.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How often the store's change epoch is compared with the last one seen. */
  public static final Duration DEFAULT_EPOCH_POLL = Duration.ofSeconds(2);
  /** Subject name of the default certificate: under .invalid (RFC 2606), so it names nobody. */
  public static final String DEFAULT_CERTIFICATE_NAME = "kasoku-edge.invalid";

  private final Vertx vertx;
  private final KasokuConfig config;
  private final SiteStore sites;
  private SecretSealer sealer;
  private final Clock clock;
  private final Duration epochPoll;

  private volatile CertificateTable table;
  private HttpServer server;
  private MessageConsumer<Messages.ConfigChanged> changes;
  private MessageConsumer<Messages.TenantDeleted> tenantDeletions;
  private long pollTimer = -1;
  private long seenEpoch = -1;
  /** Tail of the update queue: each table change runs after the previous one. */
  private Future<?> updates = Future.succeededFuture();

  public EdgeTlsListener(Vertx vertx, KasokuConfig config, SiteStore sites, Clock clock, Duration epochPoll) {
    this.vertx = vertx;
    this.config = config;
    this.sites = sites;
    this.clock = clock;
    this.epochPoll = epochPoll;
  }

  /**
   * Loads the certificates, then listens on {@code config.edgeTlsPort()} (0: any free port) and
   * subscribes to changes. Call from the owning verticle's context.
   */
  public Future<HttpServer> start(Handler<HttpServerRequest> requests) {
    return vertx.executeBlocking(() -> {
          // file I/O in dev mode (the generated master secret), key generation: off the event loop
          sealer = SiteKeys.sealer(config);
          SelfSignedCertificates.Generated def = SelfSignedCertificates.generate(List.of(DEFAULT_CERTIFICATE_NAME),
              clock.instant().minus(1, ChronoUnit.HOURS), clock.instant().plus(825, ChronoUnit.DAYS));
          return CertificateTable.empty(def.siteCertificate().keyManagerFactory());
        })
        .compose(empty -> {
          table = empty;
          return reloadAll();
        })
        .compose(loaded -> {
          HttpServerOptions options = new HttpServerOptions()
              .setHost(config.bindAddress())
              .setPort(config.edgeTlsPort())
              .setSsl(true)
              .setSni(true)
              .setUseAlpn(true)
              .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
              .setKeyCertOptions(new SniKeyCertOptions(table));
          server = vertx.createHttpServer(options).requestHandler(req -> route(req, requests));
          return server.listen();
        })
        .compose(s -> {
          changes = vertx.eventBus().consumer(Addresses.CONFIG_CHANGED, m -> onChange(m.body()));
          tenantDeletions = vertx.eventBus().consumer(Addresses.TENANT_DELETED,
              m -> enqueue(() -> install(table.withoutTenant(m.body().tenant()))));
          pollTimer = vertx.setPeriodic(epochPoll.toMillis(), id -> pollEpoch());
          return Future.all(changes.completion(), tenantDeletions.completion()).map(s);
        });
  }

  /** Stops listening (open connections are closed) and unsubscribes. */
  public Future<Void> stop() {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
    Future<Void> a = changes == null ? Future.succeededFuture() : changes.unregister();
    Future<Void> b = tenantDeletions == null ? Future.succeededFuture() : tenantDeletions.unregister();
    Future<Void> c = server == null ? Future.succeededFuture() : server.close();
    return Future.all(a, b, c).mapEmpty();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The certificates currently served. */
  public CertificateTable table() {
    return table;
  }

  private void route(HttpServerRequest req, Handler<HttpServerRequest> requests) {
    String sni = req.connection().indicatedServerName();
    if (sni != null) {
      Optional<CertificateTable.SiteEntry> bySni = table.lookup(sni);
      if (bySni.isPresent()) {
        String host = req.authority() == null ? null : req.authority().host();
        Optional<CertificateTable.SiteEntry> byHost = host == null ? Optional.empty() : table.lookup(host);
        if (byHost.isEmpty() || byHost.get() != bySni.get() && !byHost.get().key().equals(bySni.get().key())) {
          req.response().setStatusCode(421).putHeader("Content-Type", "text/plain")
              .end("Misdirected Request: the TLS server name does not belong to the requested host\n");
          return;
        }
      }
    }
    requests.handle(req);
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

  private void enqueue(java.util.function.Supplier<Future<?>> step) {
    updates = updates.transform(ignored -> {
      try {
        return step.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }).onFailure(e -> LOG.log(System.Logger.Level.WARNING, "TLS certificate update failed: " + e));
  }

  private Future<Void> install(CertificateTable next) {
    if (next == table && server != null) {
      return Future.succeededFuture();
    }
    table = next;
    if (server == null) {
      return Future.succeededFuture();
    }
    ServerSSLOptions ssl = new ServerSSLOptions().setSni(true).setUseAlpn(true)
        .setKeyCertOptions(new SniKeyCertOptions(next));
    return server.updateSSLOptions(ssl, true).mapEmpty();
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
      return Optional.of(new CertificateTable.SiteEntry(v.tenant(), v.site(), v.version(), v.hostnames(), cert,
          cert.keyManagerFactory()));
    } catch (IllegalArgumentException e) {
      // the message names what failed, never the key material
      LOG.log(System.Logger.Level.WARNING, "site " + v.tenant() + "/" + v.site() + " v" + v.version()
          + ": certificate not served: " + e.getMessage());
      return Optional.empty();
    }
  }
}
