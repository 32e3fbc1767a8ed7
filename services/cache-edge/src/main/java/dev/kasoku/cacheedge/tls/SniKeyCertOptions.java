package dev.kasoku.cacheedge.tls;

import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;

/**
 * Vert.x key/certificate options backed by one {@link CertificateTable}: the SNI name picks the
 * site's key managers, and a missing or unknown name gets the default certificate (Vert.x falls
 * back to {@link #getKeyManagerFactory} when the mapper answers null).
 *
 * <p>Vert.x caches the TLS context it builds per server name for the life of the options, so a
 * certificate change installs a new instance through {@code HttpServer.updateSSLOptions}; equality
 * is therefore identity of the table, making each table a distinct configuration.
 */
final class SniKeyCertOptions implements KeyCertOptions {
  private final CertificateTable table;

  SniKeyCertOptions(CertificateTable table) {
    this.table = table;
  }

  @Override
  public KeyCertOptions copy() {
    return new SniKeyCertOptions(table);
  }

  @Override
  public KeyManagerFactory getKeyManagerFactory(Vertx vertx) {
    return table.defaultKeyManagers();
  }

  @Override
  public Function<String, KeyManagerFactory> keyManagerFactoryMapper(Vertx vertx) {
    return table::keyManagersFor;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SniKeyCertOptions other && other.table == table;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(table);
  }
}
