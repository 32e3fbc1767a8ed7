package dev.kasoku.cacheedge.tls;

import dev.kasoku.common.config.ConfigException;
import dev.kasoku.common.config.KasokuConfig.TlsProvider;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.DefaultSslContextFactory;
import io.vertx.core.spi.tls.SslContextFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS implementation of the edge's HTTPS listener, chosen once per process
 * ({@code KASOKU_EDGE_TLS_PROVIDER}): OpenSSL, that is BoringSSL linked into Netty's
 * {@code netty-tcnative-boringssl-static}, or the JDK's own provider.
 *
 * <p>Why OpenSSL by default: a full TLS handshake is dominated by the signature and the key
 * exchange, and BoringSSL's ECDSA P-256 and X25519 are several times faster than the JDK's, so an
 * edge with the JDK provider handshakes at a fraction of nginx's rate. It also lets the edge set its
 * own session-ticket keys ({@link SessionTickets}, derived from {@code KASOKU_SECRET_KEY}), so a
 * client resumes on any edge of the cluster; the JDK's provider keeps random per-process ticket keys
 * that no API can set, so with it a client resumes only on the edge that issued its ticket.
 *
 * <p>{@code auto} (the default) takes OpenSSL where its native library loads (Linux x86-64 is what
 * the build ships) and otherwise falls back to the JDK with the reason in the start line;
 * {@code openssl} refuses to start without it; {@code jdk} never loads it. The per-hostname
 * certificate choice ({@link SiteKeyManager}) is the same key manager with either engine: Netty's
 * OpenSSL engine asks it at every handshake like the JDK does.
 *
 * <p>How the ticket keys reach the context: Vert.x builds the listener's Netty {@link SslContext}
 * through the {@link SslContextFactory} of the listener's {@link SSLEngineOptions}; this class's
 * options subclass wraps Vert.x's default factory and installs the keys on every server context it
 * creates, and {@link #refresh} rotates them in place (no listener is rebuilt).
 *
 * <p>Key material: the same factory wraps the key manager in Netty's caching one, which keeps the
 * native form of each alias's chain and key; without it every handshake encoded the Java key and
 * chain to PEM and parsed them again, which cost as much as the rest of the handshake. That is
 * safe because an alias names one site version ({@link CertificateTable.SiteEntry#alias}): a new
 * certificate is a new alias. The cache holds at most 1,024 aliases per context (past that, aliases
 * are encoded per handshake as before), and the entry of a removed site stays in the context's native
 * memory, never served again, until the process restarts.
 */
public final class EdgeTlsEngine {
  private final TlsProvider configured;
  private final boolean openSsl;
  private final String description;
  private final SessionTickets tickets;
  private final SSLEngineOptions options;

  private EdgeTlsEngine(TlsProvider configured, boolean openSsl, String description, SessionTickets tickets) {
    this.configured = configured;
    this.openSsl = openSsl;
    this.description = description;
    this.tickets = tickets;
    this.options = openSsl ? new TicketKeyedOpenSslOptions(tickets) : new JdkSSLEngineOptions();
  }

  /**
   * Chooses the engine for the setting. Loads the native library on first call (tens of
   * milliseconds): call it off the event loop.
   *
   * @param masterSecret the platform secret the ticket keys are derived from
   * @param rotation how long one ticket key encrypts ({@link SessionTickets#DEFAULT_ROTATION} in production)
   * @throws ConfigException when {@code openssl} is asked for and cannot load
   */
  public static EdgeTlsEngine create(TlsProvider setting, byte[] masterSecret, Clock clock, Duration rotation) {
    // "jdk" must not even try to load the native library
    boolean available = setting != TlsProvider.JDK && OpenSsl.isAvailable();
    Throwable cause = setting == TlsProvider.JDK || available ? null : OpenSsl.unavailabilityCause();
    return create(setting, available, cause, masterSecret, clock, rotation);
  }

  /** With the availability and the rotation given (tests: the fallback, a short rotation). */
  static EdgeTlsEngine create(TlsProvider setting, boolean openSslAvailable, Throwable unavailable,
                              byte[] masterSecret, Clock clock, Duration rotation) {
    if (setting == TlsProvider.OPENSSL && !openSslAvailable) {
      throw new ConfigException("KASOKU_EDGE_TLS_PROVIDER", "openssl",
          "OpenSSL (netty-tcnative) does not load here: " + reason(unavailable) + "; use auto or jdk");
    }
    boolean useOpenSsl = setting != TlsProvider.JDK && openSslAvailable;
    return new EdgeTlsEngine(setting, useOpenSsl, description(setting, openSslAvailable, unavailable, rotation),
        useOpenSsl ? new SessionTickets(masterSecret, clock, rotation) : null);
  }

  /**
   * What an edge with this setting runs, as its start line says it, without starting one (the
   * launcher's role line): the same choice as {@link #create}, with the production ticket rotation.
   */
  public static String describe(TlsProvider setting) {
    boolean available = setting != TlsProvider.JDK && OpenSsl.isAvailable();
    Throwable cause = setting == TlsProvider.JDK || available ? null : OpenSsl.unavailabilityCause();
    return description(setting, available, cause, SessionTickets.DEFAULT_ROTATION);
  }

  private static String description(TlsProvider setting, boolean openSslAvailable, Throwable unavailable,
                                    Duration rotation) {
    if (setting == TlsProvider.JDK) {
      return "JDK (" + jdkProvider() + ", KASOKU_EDGE_TLS_PROVIDER=jdk)";
    }
    if (!openSslAvailable) {
      return setting == TlsProvider.OPENSSL ? "none (OpenSSL required but unavailable: " + reason(unavailable) + ")"
          : "JDK (" + jdkProvider() + "; OpenSSL unavailable: " + reason(unavailable) + ")";
    }
    return "OpenSSL (" + OpenSsl.versionString() + ", session tickets keyed from KASOKU_SECRET_KEY, rotated every "
        + dev.kasoku.common.config.Sizes.formatDuration(rotation) + ")";
  }

  private static String jdkProvider() {
    try {
      return javax.net.ssl.SSLContext.getDefault().getProvider().getName();
    } catch (java.security.NoSuchAlgorithmException e) {
      return "default provider";
    }
  }

  private static String reason(Throwable t) {
    if (t == null) {
      return "unknown reason";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  /** True when the listener runs on OpenSSL (BoringSSL), false on the JDK's provider. */
  public boolean isOpenSsl() {
    return openSsl;
  }

  /** What the start line says, e.g. "OpenSSL (BoringSSL, session tickets ...)" or "JDK (SunJSSE; ...)". */
  public String description() {
    return description;
  }

  /** The setting this engine was chosen for. */
  public TlsProvider configured() {
    return configured;
  }

  /** The engine options for the HTTPS listener. */
  public SSLEngineOptions sslEngineOptions() {
    return options;
  }

  /** Rotates the ticket keys when their epoch has changed (cheap otherwise); a no-op on the JDK. */
  public void refresh() {
    if (tickets != null) {
      tickets.refresh();
    }
  }

  /** Ticket counters of this process's HTTPS contexts; all zero on the JDK (its tickets are its own). */
  SessionTickets.Stats ticketStats() {
    return tickets == null ? new SessionTickets.Stats(0, 0, 0, 0) : tickets.stats();
  }

  /**
   * Vert.x's OpenSSL engine options whose context factory installs the shared ticket keys on each
   * server context. {@link #copy} keeps the same {@link SessionTickets}: Vert.x copies the options
   * of every listener it creates, and every copy must feed the one rotation.
   */
  static final class TicketKeyedOpenSslOptions extends OpenSSLEngineOptions {
    private final SessionTickets tickets;

    TicketKeyedOpenSslOptions(SessionTickets tickets) {
      this.tickets = tickets;
    }

    private TicketKeyedOpenSslOptions(TicketKeyedOpenSslOptions other) {
      super(other);
      this.tickets = other.tickets;
    }

    @Override
    public TicketKeyedOpenSslOptions copy() {
      return new TicketKeyedOpenSslOptions(this);
    }

    @Override
    public SslContextFactory sslContextFactory() {
      return new TicketKeyedFactory(new DefaultSslContextFactory(SslProvider.OPENSSL, isSessionCacheEnabled()), tickets);
    }
  }

  /** Delegates every setting to Vert.x's factory, then keys the server contexts it builds. */
  private static final class TicketKeyedFactory implements SslContextFactory {
    private final SslContextFactory delegate;
    private final SessionTickets tickets;
    private boolean forClient;
    private KeyManagerFactory kmf;

    TicketKeyedFactory(SslContextFactory delegate, SessionTickets tickets) {
      this.delegate = delegate;
      this.tickets = tickets;
    }

    @Override
    public SslContextFactory useAlpn(boolean useAlpn) {
      delegate.useAlpn(useAlpn);
      return this;
    }

    @Override
    public SslContextFactory clientAuth(ClientAuth clientAuth) {
      delegate.clientAuth(clientAuth);
      return this;
    }

    @Override
    public SslContextFactory forClient(boolean forClient) {
      this.forClient = forClient;
      delegate.forClient(forClient);
      return this;
    }

    @Override
    public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
      this.kmf = kmf;
      return this;
    }

    @Override
    public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
      delegate.trustManagerFactory(tmf);
      return this;
    }

    @Override
    public SslContextFactory enabledCipherSuites(Set<String> suites) {
      delegate.enabledCipherSuites(suites);
      return this;
    }

    @Override
    public SslContextFactory applicationProtocols(List<String> protocols) {
      delegate.applicationProtocols(protocols);
      return this;
    }

    @Override
    public SslContextFactory serverName(String name) {
      delegate.serverName(name);
      return this;
    }

    @Override
    public SslContext create() throws SSLException {
      // a server keeps the native (BoringSSL) form of each alias's key and chain instead of encoding
      // them again at every handshake, which cost more than the handshake's own cryptography
      delegate.keyMananagerFactory(kmf == null || forClient || kmf instanceof OpenSslCachingX509KeyManagerFactory
          ? kmf : new OpenSslCachingX509KeyManagerFactory(kmf));
      SslContext ctx = delegate.create();
      if (!forClient && ctx.sessionContext() instanceof OpenSslSessionContext session) {
        tickets.install(session);
      }
      return ctx;
    }
  }
}
