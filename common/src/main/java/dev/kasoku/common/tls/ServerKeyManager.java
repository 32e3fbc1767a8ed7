package dev.kasoku.common.tls;

import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Base of our key managers: they only ever serve the server side of a handshake, so every
 * client-side choice answers "no certificate".
 */
public abstract class ServerKeyManager extends X509ExtendedKeyManager {

  @Override
  public final String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public final String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public final String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}
