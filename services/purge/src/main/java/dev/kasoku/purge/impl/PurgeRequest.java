package dev.kasoku.purge.impl;

import dev.kasoku.purge.PurgeSettings;
import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.http.ApiException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated purge: its scope, its targets in the canonical form edges match on, and whether it
 * is soft. Built from the request body by {@link #from(Body)}, which reports every problem it finds.
 *
 * <p>Canonical targets (the form carried by {@code PurgeCommand.targets}):
 * <ul>
 *   <li>URL: {@code host + path [+ "?" + query]}, host lower-cased without port or trailing dot,
 *       path starting with "/", the query as sent (edges normalise it per the site's rule);</li>
 *   <li>PREFIX: {@code host + pathPrefix} (no query);</li>
 *   <li>HOST: the host; TAG: the tag as sent; ALL: no targets.</li>
 * </ul>
 * {@link #hosts()} lists the hosts the purge names, which must all belong to the tenant.
 */
public record PurgeRequest(PurgeScope scope, List<String> targets, boolean soft, Set<String> hosts) {
  static final int MAX_URL_LENGTH = 2048;
  static final int MAX_TAG_LENGTH = 256;
  private static final Pattern HOST = Pattern.compile(
      "(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");
  /** Surrogate-Key values are space separated visible ASCII. */
  private static final Pattern TAG = Pattern.compile("[\\x21-\\x7e]{1," + MAX_TAG_LENGTH + "}");

  public PurgeRequest {
    targets = List.copyOf(targets);
    hosts = Set.copyOf(hosts);
  }

  /** The request body as sent (decoded at the boundary; the contract already checked its shape). */
  public record Body(List<String> urls, List<String> prefixes, List<String> tags, List<String> hosts,
                     Boolean all, Boolean soft) {}

  /** Validates the body; fails with a 400 {@link ApiException} listing every problem. */
  public static PurgeRequest from(Body body) {
    List<String> errors = new ArrayList<>();
    int given = count(body.urls()) + count(body.prefixes()) + count(body.tags()) + count(body.hosts())
        + (body.all() != null ? 1 : 0);
    if (given != 1) {
      throw ApiException.validation(List.of(
          "exactly one of urls, prefixes, tags, hosts, all must be given (found " + given + ")"));
    }
    boolean soft = Boolean.TRUE.equals(body.soft());
    if (body.all() != null) {
      if (!body.all()) {
        throw ApiException.validation(List.of("all: only true is meaningful"));
      }
      return new PurgeRequest(PurgeScope.ALL, List.of(), soft, Set.of());
    }
    PurgeScope scope;
    List<String> raw;
    if (body.urls() != null) {
      scope = PurgeScope.URL;
      raw = body.urls();
    } else if (body.prefixes() != null) {
      scope = PurgeScope.PREFIX;
      raw = body.prefixes();
    } else if (body.tags() != null) {
      scope = PurgeScope.TAG;
      raw = body.tags();
    } else {
      scope = PurgeScope.HOST;
      raw = body.hosts();
    }
    String field = scope.name().toLowerCase(Locale.ROOT) + (scope == PurgeScope.PREFIX ? "es" : "s");
    if (raw.isEmpty()) {
      errors.add(field + ": at least one target is required");
    }
    if (raw.size() > PurgeSettings.MAX_TARGETS) {
      errors.add(field + ": at most " + PurgeSettings.MAX_TARGETS + " targets per purge (got " + raw.size() + ")");
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    Set<String> targets = new LinkedHashSet<>();
    Set<String> hosts = new LinkedHashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      String value = raw.get(i);
      String where = field + "[" + i + "]";
      if (value == null || value.isBlank()) {
        errors.add(where + ": empty");
        continue;
      }
      switch (scope) {
        case URL, PREFIX -> {
          Target t = parseUrl(value, scope == PurgeScope.PREFIX, where, errors);
          if (t != null) {
            targets.add(t.host() + t.rest());
            hosts.add(t.host());
          }
        }
        case HOST -> {
          String host = normaliseHost(value);
          if (host == null) {
            errors.add(where + ": not a hostname");
          } else {
            targets.add(host);
            hosts.add(host);
          }
        }
        case TAG -> {
          if (!TAG.matcher(value).matches()) {
            errors.add(where + ": a tag is 1-" + MAX_TAG_LENGTH + " visible ASCII characters without spaces");
          } else {
            targets.add(value);
          }
        }
        default -> throw new IllegalStateException(scope.name());
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    return new PurgeRequest(scope, new ArrayList<>(targets), soft, hosts);
  }

  private record Target(String host, String rest) {}

  private static Target parseUrl(String value, boolean prefix, String where, List<String> errors) {
    if (value.length() > MAX_URL_LENGTH) {
      errors.add(where + ": longer than " + MAX_URL_LENGTH + " characters");
      return null;
    }
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      errors.add(where + ": not a URL (" + e.getReason() + ")");
      return null;
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      errors.add(where + ": must be an absolute http or https URL");
      return null;
    }
    if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      errors.add(where + ": must not carry user info or a fragment");
      return null;
    }
    String host = uri.getHost() == null ? null : normaliseHost(uri.getHost());
    if (host == null) {
      errors.add(where + ": no valid host");
      return null;
    }
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String query = uri.getRawQuery();
    if (prefix) {
      if (query != null) {
        errors.add(where + ": a prefix is a path prefix and cannot carry a query");
        return null;
      }
      return new Target(host, path);
    }
    return new Target(host, query == null ? path : path + "?" + query);
  }

  /** Lower-case, without a trailing dot; null when it is not a DNS hostname. */
  static String normaliseHost(String value) {
    String host = value.trim().toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    return HOST.matcher(host).matches() ? host : null;
  }

  private static int count(List<String> list) {
    return list == null ? 0 : 1;
  }
}
