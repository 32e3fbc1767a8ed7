package dev.kasoku.common.tls;

import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager holding exactly one chain and key, and the {@link KeyManagerFactory} that
 * hands it out (Vert.x maps a TLS server name to a factory).
 *
 * <p>Why not a PKCS#12 {@link KeyStore}: storing a key in one runs a password-based encryption with
 * thousands of iterations, which is wasted work for an in-memory store and too slow to do for every
 * site when an edge loads its certificates. The alias is offered only for the key's own algorithm,
 * so the TLS stack never picks a signature scheme the key cannot make.
 */
public final class SingleCertificateKeyManager extends ServerKeyManager {
  private static final String ALIAS = "site";
  private final X509Certificate[] chain;
  private final PrivateKey key;

  SingleCertificateKeyManager(List<X509Certificate> chain, PrivateKey key) {
    this.chain = chain.toArray(new X509Certificate[0]);
    this.key = key;
  }

  static KeyManagerFactory factory(List<X509Certificate> chain, PrivateKey key) {
    return factoryOf(new SingleCertificateKeyManager(chain, key));
  }

  /** A {@link KeyManagerFactory} that hands out exactly {@code manager} (no key store involved). */
  public static KeyManagerFactory factoryOf(X509ExtendedKeyManager manager) {
    KeyManager[] managers = {manager};
    KeyManagerFactorySpi spi = new KeyManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore ks, char[] password) {}

      @Override
      protected void engineInit(ManagerFactoryParameters spec) {}

      @Override
      protected KeyManager[] engineGetKeyManagers() {
        return managers.clone();
      }
    };
    return new KeyManagerFactory(spi, new Provider("kasoku-keys", "1", "in-memory key managers") {}, "kasoku") {};
  }

  private boolean fits(String keyType) {
    String alg = key.getAlgorithm();
    return keyType != null && (keyType.equals(alg)
        || alg.startsWith("Ed") && (keyType.equals("EdDSA") || keyType.startsWith("Ed")));
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? chain.clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? key : null;
  }

  @Override
  public String toString() {
    // never the key
    return "SingleCertificateKeyManager[" + chain[0].getSubjectX500Principal() + "]";
  }
}
