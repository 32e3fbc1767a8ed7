package dev.kasoku.cacheedge.origin;

import java.net.URI;
import java.util.Locale;

/**
 * One origin server of a site, parsed once from the site config.
 *
 * @param id stable identity for health tracking: tenant + normalised URL
 * @param ssl https
 * @param host the origin's host name (Host header and TLS SNI); a literal address is allowed
 * @param port the port
 * @param basePath a path prefix to put before every forwarded path ("" when none)
 * @param weight relative share of traffic among healthy origins (at least 1)
 * @param hostHeader the Host field of requests to it: the name (an IPv6 literal in brackets), with
 *     the port when it is not the scheme's default
 */
public record Origin(String id, boolean ssl, String host, int port, String basePath, int weight, String hostHeader) {

  /** Parses {@code http(s)://host[:port][/base]}; anything else is refused. */
  public static Origin parse(String tenant, String url, int weight) {
    URI u = URI.create(url.trim());
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("origin URL must be http or https: " + url);
    }
    if (u.getHost() == null || u.getRawUserInfo() != null || u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("origin URL must be scheme://host[:port][/path]: " + url);
    }
    boolean ssl = scheme.equals("https");
    int port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
    String host = u.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String base = u.getRawPath() == null ? "" : u.getRawPath();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return new Origin(tenant + "|" + scheme + "://" + host + ":" + port + base, ssl, host, port, base,
        Math.max(1, weight), port == (ssl ? 443 : 80) ? authority : authority + ':' + port);
  }
}
