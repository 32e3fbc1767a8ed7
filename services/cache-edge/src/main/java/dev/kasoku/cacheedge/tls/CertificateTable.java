package dev.kasoku.cacheedge.tls;

import dev.kasoku.common.site.Hostnames;
import dev.kasoku.common.tls.SiteCertificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;

/**
 * An immutable snapshot of the certificates one edge serves: for each hostname, the site that owns
 * it and that site's key manager. A new table replaces the old one as a whole, so a handshake sees
 * either the old set or the new one, never a mix.
 *
 * <p>Isolation guarantee: a name maps only to the certificate of the site that holds that hostname
 * in the store's hostname index; a name that maps to no site gets the edge's default certificate,
 * never some other tenant's.
 */
public final class CertificateTable {
  /** A site's certificate as loaded on this edge. */
  public record SiteEntry(String tenant, String site, long version, List<String> hostnames,
                          SiteCertificate certificate, KeyManagerFactory keyManagers) {
    public SiteEntry {
      hostnames = List.copyOf(hostnames);
    }

    String key() {
      return tenant + "/" + site;
    }
  }

  private final Map<String, SiteEntry> bySite;
  private final Map<String, SiteEntry> byHost;
  private final KeyManagerFactory defaultKeyManagers;

  private CertificateTable(Map<String, SiteEntry> bySite, KeyManagerFactory defaultKeyManagers) {
    this.bySite = Map.copyOf(bySite);
    this.defaultKeyManagers = defaultKeyManagers;
    Map<String, SiteEntry> hosts = new HashMap<>();
    for (SiteEntry e : bySite.values()) {
      for (String h : e.hostnames()) {
        hosts.put(h, e);
      }
    }
    this.byHost = Map.copyOf(hosts);
  }

  public static CertificateTable empty(KeyManagerFactory defaultKeyManagers) {
    return new CertificateTable(Map.of(), defaultKeyManagers);
  }

  /** The site entry for an SNI or Host name, if a site with a certificate holds it. */
  public Optional<SiteEntry> lookup(String serverName) {
    return Optional.ofNullable(byHost.get(Hostnames.lookupKey(serverName)));
  }

  /** Key managers for an SNI name; null selects the default certificate. */
  KeyManagerFactory keyManagersFor(String serverName) {
    SiteEntry e = byHost.get(Hostnames.lookupKey(serverName));
    return e == null ? null : e.keyManagers();
  }

  KeyManagerFactory defaultKeyManagers() {
    return defaultKeyManagers;
  }

  public Optional<SiteEntry> site(String tenant, String site) {
    return Optional.ofNullable(bySite.get(tenant + "/" + site));
  }

  public int size() {
    return bySite.size();
  }

  /** A table with the site's entry replaced (or added). */
  CertificateTable with(SiteEntry entry) {
    Map<String, SiteEntry> next = new HashMap<>();
    // a hostname that moved here from another site: the newer claim wins, the older entry loses it
    for (SiteEntry e : bySite.values()) {
      List<String> kept = e.hostnames().stream().filter(h -> !entry.hostnames().contains(h)).toList();
      next.put(e.key(), kept.size() == e.hostnames().size() ? e
          : new SiteEntry(e.tenant(), e.site(), e.version(), kept, e.certificate(), e.keyManagers()));
    }
    next.put(entry.key(), entry);
    return new CertificateTable(next, defaultKeyManagers);
  }

  /** A table without the site. */
  CertificateTable without(String tenant, String site) {
    Map<String, SiteEntry> next = new HashMap<>(bySite);
    next.remove(tenant + "/" + site);
    return new CertificateTable(next, defaultKeyManagers);
  }

  /** A table without any site of the tenant. */
  CertificateTable withoutTenant(String tenant) {
    Map<String, SiteEntry> next = new HashMap<>(bySite);
    next.values().removeIf(e -> e.tenant().equals(tenant));
    return new CertificateTable(next, defaultKeyManagers);
  }

  /** A table holding exactly these entries. */
  CertificateTable replacingAll(Map<String, SiteEntry> entries) {
    return new CertificateTable(entries, defaultKeyManagers);
  }
}
