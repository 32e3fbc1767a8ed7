package dev.kasoku.common.tls;

import dev.kasoku.common.config.KasokuConfig;

/**
 * How a site's TLS private key is sealed in the stored site document, shared by the config service
 * (which seals on PUT) and the edge (which opens on load). In the stored document the field
 * {@code tls.privateKeyPem} holds the sealed value ({@link SecretSealer#PREFIX}...), never PEM; it
 * is bound to the tenant and site it was stored for.
 */
public final class SiteKeys {
  /** HKDF purpose of the key that seals site private keys. */
  public static final String PURPOSE = "site-tls-private-keys/v1";

  private SiteKeys() {}

  /** The sealer of site keys; reads a file in dev mode, so call it off the event loop. */
  public static SecretSealer sealer(KasokuConfig config) {
    return SecretSealer.forPurpose(config, PURPOSE);
  }

  /** The associated data a site's key is sealed with. */
  public static String context(String tenant, String site) {
    return "site-tls:" + tenant + "/" + site;
  }

  /** True when a stored value is sealed (and not, by mistake, plain PEM). */
  public static boolean isSealed(String value) {
    return value != null && value.startsWith(SecretSealer.PREFIX);
  }
}
