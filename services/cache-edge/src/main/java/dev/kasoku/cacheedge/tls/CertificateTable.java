package dev.kasoku.cacheedge.tls;

import dev.kasoku.common.site.Hostnames;
import dev.kasoku.common.tls.SiteCertificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable snapshot of the certificates one edge serves: for each hostname, the site that owns
 * it and that site's certificate. A new table replaces the old one as a whole, so a handshake sees
 * either the old set or the new one, never a mix.
 *
 * <p>Isolation guarantee: a name maps only to the certificate of the site that holds that hostname
 * in the store's hostname index; a name that maps to no site gets the edge's default certificate,
 * never some other tenant's.
 */
public final class CertificateTable {
  /** Key-manager alias of the default certificate. */
  static final String DEFAULT_ALIAS = "default";

  /** A site's certificate as loaded on this edge; {@code alias} names it inside the key manager. */
  public record SiteEntry(String tenant, String site, long version, List<String> hostnames,
                          SiteCertificate certificate) {
    public SiteEntry {
      hostnames = List.copyOf(hostnames);
    }

    String key() {
      return tenant + "/" + site;
    }

    String alias() {
      return "site:" + tenant + "/" + site + "@" + version;
    }
  }

  private final Map<String, SiteEntry> bySite;
  private final Map<String, SiteEntry> byHost;
  private final Map<String, SiteEntry> byAlias;
  private final SiteCertificate defaultCertificate;

  private CertificateTable(Map<String, SiteEntry> bySite, SiteCertificate defaultCertificate) {
    this.bySite = Map.copyOf(bySite);
    this.defaultCertificate = defaultCertificate;
    Map<String, SiteEntry> hosts = new HashMap<>();
    Map<String, SiteEntry> aliases = new HashMap<>();
    for (SiteEntry e : bySite.values()) {
      for (String h : e.hostnames()) {
        hosts.put(h, e);
      }
      aliases.put(e.alias(), e);
    }
    this.byHost = Map.copyOf(hosts);
    this.byAlias = Map.copyOf(aliases);
  }

  public static CertificateTable empty(SiteCertificate defaultCertificate) {
    return new CertificateTable(Map.of(), defaultCertificate);
  }

  /** The site entry for an SNI or Host name, if a site with a certificate holds it. */
  public Optional<SiteEntry> lookup(String serverName) {
    return serverName == null ? Optional.empty() : Optional.ofNullable(byHost.get(Hostnames.lookupKey(serverName)));
  }

  public Optional<SiteEntry> site(String tenant, String site) {
    return Optional.ofNullable(bySite.get(tenant + "/" + site));
  }

  /** The certificate a key-manager alias stands for in this table, or null. */
  SiteCertificate byAlias(String alias) {
    if (DEFAULT_ALIAS.equals(alias)) {
      return defaultCertificate;
    }
    SiteEntry e = byAlias.get(alias);
    return e == null ? null : e.certificate();
  }

  /** The certificate served to names no site holds. */
  public SiteCertificate defaultCertificate() {
    return defaultCertificate;
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
          : new SiteEntry(e.tenant(), e.site(), e.version(), kept, e.certificate()));
    }
    next.put(entry.key(), entry);
    return new CertificateTable(next, defaultCertificate);
  }

  /** A table without the site. */
  CertificateTable without(String tenant, String site) {
    Map<String, SiteEntry> next = new HashMap<>(bySite);
    next.remove(tenant + "/" + site);
    return new CertificateTable(next, defaultCertificate);
  }

  /** A table without any site of the tenant. */
  CertificateTable withoutTenant(String tenant) {
    Map<String, SiteEntry> next = new HashMap<>(bySite);
    next.values().removeIf(e -> e.tenant().equals(tenant));
    return new CertificateTable(next, defaultCertificate);
  }

  /** A table holding exactly these entries. */
  CertificateTable replacingAll(Map<String, SiteEntry> entries) {
    return new CertificateTable(entries, defaultCertificate);
  }
}
