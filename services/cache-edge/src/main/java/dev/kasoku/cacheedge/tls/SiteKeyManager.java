package dev.kasoku.cacheedge.tls;

import dev.kasoku.common.tls.ServerKeyManager;
import dev.kasoku.common.tls.SiteCertificate;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.StandardConstants;

/**
 * The key manager of the edge's HTTPS listener: picks the certificate by the client's SNI name
 * from the {@link CertificateBook}'s current table at each handshake.
 *
 * <p>Why a key manager and not Vert.x's SNI mapping: Vert.x caches the TLS context it builds for a
 * server name until the server's SSL options are replaced, so certificate changes would need a
 * server-wide options update per change. The JDK asks the key manager on every handshake, so
 * reading a volatile table here makes a new certificate effective for the next handshake, with no
 * restart and nothing rebuilt. The alias chosen names the exact table entry (site and version);
 * the certificate and key are then fetched by that alias from the current or the previous table,
 * so a table swap in the middle of a handshake cannot mix one site's chain with another's key.
 *
 * <p>A name that no site with a certificate holds, or no name at all, gets the default certificate,
 * never a tenant's. An alias is offered only for the key's own algorithm, so the TLS stack never
 * picks a signature scheme the key cannot make.
 */
final class SiteKeyManager extends ServerKeyManager {
  private final CertificateBook book;

  SiteKeyManager(CertificateBook book) {
    this.book = book;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return choose(keyType, engine == null ? null : engine.getHandshakeSession());
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return choose(keyType, socket instanceof javax.net.ssl.SSLSocket s ? s.getHandshakeSession() : null);
  }

  private String choose(String keyType, SSLSession handshake) {
    CertificateTable table = book.table();
    String sni = requestedName(handshake);
    CertificateTable.SiteEntry entry = table.lookup(sni).orElse(null);
    SiteCertificate cert = entry == null ? table.defaultCertificate() : entry.certificate();
    if (!fits(keyType, cert.privateKey())) {
      return null;
    }
    return entry == null ? CertificateTable.DEFAULT_ALIAS : entry.alias();
  }

  /** The host name the client asked for (SNI), or null. */
  static String requestedName(SSLSession session) {
    if (session instanceof ExtendedSSLSession ext) {
      List<SNIServerName> names = ext.getRequestedServerNames();
      for (SNIServerName n : names) {
        if (n.getType() == StandardConstants.SNI_HOST_NAME && n instanceof SNIHostName h) {
          return h.getAsciiName();
        }
      }
    }
    return null;
  }

  private static boolean fits(String keyType, PrivateKey key) {
    String alg = key.getAlgorithm();
    return keyType != null && (keyType.equals(alg)
        || alg.startsWith("Ed") && (keyType.equals("EdDSA") || keyType.startsWith("Ed")));
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    SiteCertificate c = book.byAlias(alias);
    return c == null ? null : c.chain().toArray(new X509Certificate[0]);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    SiteCertificate c = book.byAlias(alias);
    return c == null ? null : c.privateKey();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }
}
