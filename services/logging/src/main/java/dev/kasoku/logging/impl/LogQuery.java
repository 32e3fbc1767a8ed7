package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.bus.Messages.LogRangeQuery;
import dev.kasoku.common.http.ApiException;
import io.vertx.core.MultiMap;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a log download asks for, checked at the boundary: the time range (required, at most
 * {@link #MAX_RANGE}), filters on site, status and cache status, and the output format. Every
 * problem is reported at once, each naming its parameter.
 *
 * @param statuses exact codes ("404") or classes ("5xx"); empty: all
 * @param cacheStatuses empty: all
 */
public record LogQuery(Instant from, Instant to, String site, List<String> statuses, Set<String> cacheStatuses,
                       Format format) {
  /** The longest range one download may cover. */
  public static final Duration MAX_RANGE = Duration.ofDays(31);
  private static final Set<String> CACHE_STATUSES = Set.of("hit", "miss", "stale", "pass", "error");
  private static final DateTimeFormatter CLF =
      DateTimeFormatter.ofPattern("dd/MMM/uuuu:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** The download formats. */
  public enum Format {
    NDJSON("application/x-ndjson"), COMBINED("text/plain; charset=utf-8"), CSV("text/csv; charset=utf-8");

    public final String contentType;

    Format(String contentType) {
      this.contentType = contentType;
    }
  }

  public static LogQuery parse(MultiMap params) {
    List<String> errors = new ArrayList<>();
    Instant from = instant(params.get("from"), "from", errors);
    Instant to = instant(params.get("to"), "to", errors);
    if (from != null && to != null) {
      if (!from.isBefore(to)) {
        errors.add("to: must be after from");
      } else if (Duration.between(from, to).compareTo(MAX_RANGE) > 0) {
        errors.add("to: at most " + MAX_RANGE.toDays() + " days after from per call");
      }
    }
    List<String> statuses = new ArrayList<>();
    for (String s : list(params.get("status"))) {
      if (s.matches("[1-5]xx|[1-5][0-9][0-9]")) {
        statuses.add(s);
      } else {
        errors.add("status: '" + s + "' is neither a status code (404) nor a class (5xx)");
      }
    }
    Set<String> cache = new java.util.TreeSet<>();
    for (String c : list(params.get("cacheStatus"))) {
      if (CACHE_STATUSES.contains(c)) {
        cache.add(c);
      } else {
        errors.add("cacheStatus: '" + c + "' is not one of " + new java.util.TreeSet<>(CACHE_STATUSES));
      }
    }
    Format format = Format.NDJSON;
    String f = params.get("format");
    if (f != null && !f.isEmpty()) {
      try {
        format = Format.valueOf(f.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        errors.add("format: '" + f + "' is not one of ndjson, combined, csv");
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    String site = params.get("site");
    return new LogQuery(from, to, site == null || site.isEmpty() ? null : site, statuses, cache, format);
  }

  /** This query as one step of a gathered download: from the start of the range. */
  public LogRangeQuery toRange(String tenant, int maxBytes) {
    return new LogRangeQuery(tenant, from, to, site, statuses,
        List.copyOf(cacheStatuses), format.name().toLowerCase(Locale.ROOT), null, 0, maxBytes);
  }

  /** The query a {@link LogRangeQuery} carries (built by {@link #toRange}). */
  public static LogQuery of(LogRangeQuery q) {
    return new LogQuery(q.from(), q.to(), q.site(), q.statuses(), new java.util.TreeSet<>(q.cacheStatuses()),
        Format.valueOf(q.format().toUpperCase(Locale.ROOT)));
  }

  /** Whether a stored record is part of the answer. */
  public boolean matches(AccessLogRecord r) {
    return matches(r.ts(), r.site(), r.cacheStatus(), r.status());
  }

  /** Whether a stored record with these fields is part of the answer. */
  public boolean matches(Instant ts, String recordSite, String cacheStatus, int status) {
    if (ts.isBefore(from) || !ts.isBefore(to)) {
      return false;
    }
    if (site != null && !site.equals(recordSite)) {
      return false;
    }
    if (!cacheStatuses.isEmpty() && !cacheStatuses.contains(cacheStatus)) {
      return false;
    }
    if (statuses.isEmpty()) {
      return true;
    }
    String code = Integer.toString(status);
    for (String s : statuses) {
      if (s.equals(code) || s.endsWith("xx") && code.charAt(0) == s.charAt(0)) {
        return true;
      }
    }
    return false;
  }

  /** The header line of the format, or null. */
  public String header() {
    return format == Format.CSV
        ? "ts,tenant,site,host,clientIp,method,path,protocol,status,bytes,bytesIn,contentType,tlsVersion,range,"
            + "cacheStatus,originMs,totalMs,userAgent,referer,node,requestId\n"
        : null;
  }

  /** One record in the format, with its line end; {@code ndjson} is the stored line as it is. */
  public String line(AccessLogRecord r, String ndjson) {
    return switch (format) {
      case NDJSON -> ndjson + "\n";
      case COMBINED -> r.clientIp() + " - - [" + CLF.format(r.ts()) + "] \"" + r.method() + " " + r.path() + " "
          + r.protocol() + "\" " + r.status() + " " + r.bytes() + " \"" + dash(r.referer()) + "\" \""
          + dash(r.userAgent()) + "\"\n";
      case CSV -> String.join(",", dev.kasoku.common.json.Timestamps.format(r.ts()), csv(r.tenant()), csv(r.site()),
          csv(r.host()), csv(r.clientIp()), csv(r.method()), csv(r.path()), csv(r.protocol()),
          Integer.toString(r.status()), Long.toString(r.bytes()), Long.toString(r.bytesIn()), csv(r.contentType()),
          csv(r.tlsVersion()), csv(r.range()), csv(r.cacheStatus()), Long.toString(r.originMs()),
          Long.toString(r.totalMs()), csv(r.userAgent()), csv(r.referer()), csv(r.node()), csv(r.requestId())) + "\n";
    };
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  /** RFC 4180 field; a leading =, +, - or @ is quoted with a ' so spreadsheets do not run it. */
  private static String csv(String s) {
    if (s == null) {
      return "";
    }
    String v = !s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 ? "'" + s : s;
    return v.matches(".*[\",\\r\\n].*") || !v.equals(s) ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }

  private static List<String> list(String value) {
    List<String> out = new ArrayList<>();
    if (value != null) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }

  private static Instant instant(String value, String name, List<String> errors) {
    if (value == null || value.isEmpty()) {
      errors.add(name + ": required (an RFC 3339 UTC instant, e.g. 2026-12-01T00:00:00Z)");
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      errors.add(name + ": not an RFC 3339 UTC instant (e.g. 2026-12-01T00:00:00Z): " + value);
      return null;
    }
  }
}
