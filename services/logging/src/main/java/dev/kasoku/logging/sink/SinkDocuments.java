package dev.kasoku.logging.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kasoku.common.bus.Messages.AccessLogRecord;
import dev.kasoku.common.config.Sizes;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.net.Cidr;
import dev.kasoku.common.net.OriginAddressPolicy;
import dev.kasoku.common.tls.SecretSealer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns the sink list a tenant PUTs into the list that is stored, and a stored list into what GET
 * shows.
 *
 * <p>Acceptance checks every sink and reports every problem in one 400, each naming its field
 * ({@code sinks[1].address: ...}); one bad sink refuses the whole list, so nothing is half-replaced.
 * The contract (docs/openapi.yaml) has already checked the shape; here are the meaning checks:
 * names unique, the fields the type needs, URLs and addresses, field names of the access-log record,
 * filters, bounds. Sink addresses get the origins' server-side request forgery guard
 * ({@link OriginAddressPolicy}, the one rule for every address Kasoku connects to on a customer's
 * behalf): a literal address and every address a name resolves to now must be permitted, and
 * {@link SinkAddresses} applies the same rule again to the address each delivery connects to.
 *
 * <p>Header values are sealed like site TLS keys ({@link SecretSealer}, a purpose of their own,
 * bound to the tenant, sink and header name), so the stored list never holds them in clear, and no
 * read path returns them: the API view shows {@value #MASK}. A PUT that sends {@value #MASK} back
 * keeps the stored value of that header of the sink of that name, so GET, edit, PUT round-trips work.
 */
public final class SinkDocuments {
  /** HKDF purpose of the key that seals sink header values. */
  public static final String SEAL_PURPOSE = "log-sink-headers/v1";
  public static final String MASK = "***";
  public static final int MAX_SINKS = 20;
  public static final int DEFAULT_MAX_BATCH_RECORDS = 10_000;
  public static final int MAX_BATCH_RECORDS = 100_000;
  public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);
  public static final Duration MIN_PERIOD = Duration.ofMillis(100);
  public static final Duration MAX_PERIOD = Duration.ofMinutes(5);
  /** The lag bound: a day of records or 1 GiB stored, whichever comes first. */
  public static final Duration DEFAULT_MAX_LAG = Duration.ofHours(24);
  public static final long DEFAULT_MAX_LAG_BYTES = 1L << 30;
  public static final Duration MIN_MAX_LAG = Duration.ofMinutes(1);
  public static final Duration MAX_MAX_LAG = Duration.ofDays(7);
  public static final long MIN_MAX_LAG_BYTES = 64L << 10;
  public static final long MAX_MAX_LAG_BYTES = 64L << 30;
  public static final String DEFAULT_APP_NAME = "kasoku";
  public static final String DEFAULT_FACILITY = "local0";

  /** Every field of an access-log record, in record order (what {@code fields} may name). */
  public static final List<String> RECORD_FIELDS = Arrays.stream(AccessLogRecord.class.getRecordComponents())
      .map(java.lang.reflect.RecordComponent::getName).toList();
  /** Syslog facility names and their codes (RFC 5424, 6.2.1). */
  static final Map<String, Integer> FACILITIES = facilities();
  private static final Set<String> CACHE_STATUSES = Set.of("hit", "miss", "stale", "pass", "error");
  private static final Pattern STATUS = Pattern.compile("[1-5]xx|[1-5][0-9][0-9]");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");
  private static final Pattern APP_NAME = Pattern.compile("[!-~]{1,48}");
  /** Headers the sink sets itself. */
  private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "content-type",
      "content-encoding", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive",
      "proxy-connection", "expect");

  /** A list that passed every check, in its stored form. */
  public record Accepted(LogSink.Stored stored, String json) {
    public List<String> ids() {
      return stored.sinks().stream().map(LogSink::id).toList();
    }
  }

  private final Vertx vertx;
  private final OriginAddressPolicy policy;
  private final SecretSealer sealer;
  private final java.time.Clock clock;

  public SinkDocuments(Vertx vertx, OriginAddressPolicy policy, SecretSealer sealer, java.time.Clock clock) {
    this.vertx = vertx;
    this.policy = policy;
    this.sealer = sealer;
    this.clock = clock;
  }

  /** The associated data a header value is sealed with. */
  static String sealContext(String tenant, String sinkName, String header) {
    return "log-sink-header:" + tenant + "/" + sinkName + "/" + header.toLowerCase(Locale.ROOT);
  }

  /**
   * Checks a PUT body against the tenant's current list (for ids and masked header values) and
   * seals its header values.
   *
   * @return the accepted list; fails with a validation {@link ApiException} listing every problem
   */
  public Future<Accepted> accept(String tenant, JsonNode body, LogSink.Stored current) {
    List<String> problems = new ArrayList<>();
    List<LogSink> sinks = new ArrayList<>();
    JsonNode list = body == null ? null : body.get("sinks");
    if (list == null || !list.isArray()) {
      return Future.failedFuture(ApiException.validation(List.of("sinks: required, an array of sinks")));
    }
    if (list.size() > MAX_SINKS) {
      problems.add("sinks: at most " + MAX_SINKS + " sinks per tenant");
    }
    Map<String, LogSink> byName = new HashMap<>();
    current.sinks().forEach(s -> byName.put(s.name(), s));
    Set<String> names = new HashSet<>();
    List<Future<Void>> lookups = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "sinks[" + i + "]";
      JsonNode node = list.get(i);
      if (!node.isObject()) {
        problems.add(at + ": must be an object");
        continue;
      }
      String name = text(node, "name");
      if (name != null && !names.add(name)) {
        problems.add(at + ".name: '" + name + "' is used by another sink of the list");
      }
      LogSink sink = check(tenant, at, (ObjectNode) node, byName, problems);
      if (sink == null) {
        continue;
      }
      String host = sink.type() == LogSink.Type.http ? URI.create(sink.url()).getHost() : hostOf(sink.address());
      String field = at + (sink.type() == LogSink.Type.http ? ".url" : ".address");
      lookups.add(checkAddress(host, field, problems));
      sinks.add(sink);
    }
    // the lookups complete on this context, one after another: the list needs no lock
    return Future.join(lookups).transform(ar -> {
      if (!problems.isEmpty()) {
        return Future.failedFuture(ApiException.validation(List.copyOf(problems)));
      }
      LogSink.Stored stored = new LogSink.Stored(sinks);
      return Future.succeededFuture(new Accepted(stored, Json.encode(stored)));
    });
  }

  /**
   * Applies the forgery guard to a sink's host: literal addresses and names of this machine at
   * once, other names by what they resolve to now (every address must be permitted).
   */
  private Future<Void> checkAddress(String host, String field, List<String> problems) {
    java.util.Optional<String> literal = policy.checkHost(host);
    if (literal.isPresent()) {
      problems.add(field + ": " + literal.get());
      return Future.succeededFuture();
    }
    if (Cidr.parseLiteral(host) != null) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false).transform(ar -> {
      {
        if (ar.failed()) {
          problems.add(field + ": '" + host + "' does not resolve"
              + (ar.cause() instanceof UnknownHostException ? "" : ": " + ar.cause().getMessage()));
        } else {
          for (InetAddress a : ar.result()) {
            if (!policy.permits(a)) {
              problems.add(field + ": '" + host + "' resolves to " + a.getHostAddress() + ", a loopback, private,"
                  + " link-local or metadata address; not allowed by KASOKU_ALLOWED_ORIGIN_NETWORKS");
              break;
            }
          }
        }
      }
      return Future.succeededFuture();
    });
  }

  private LogSink check(String tenant, String at, ObjectNode n, Map<String, LogSink> current, List<String> problems) {
    int before = problems.size();
    String name = text(n, "name");
    if (name == null) {
      problems.add(at + ".name: required");
    } else if (!Ids.isValid(name)) {
      problems.add(at + ".name: '" + name + "' must be 1-63 of a-z, 0-9 and '-', starting with a letter or digit");
    }
    String typeText = text(n, "type");
    LogSink.Type type = null;
    if (typeText == null) {
      problems.add(at + ".type: required (http or syslog)");
    } else {
      try {
        type = LogSink.Type.valueOf(typeText);
      } catch (IllegalArgumentException e) {
        problems.add(at + ".type: '" + typeText + "' is not one of http, syslog");
      }
    }
    String url = text(n, "url");
    String address = text(n, "address");
    Map<String, String> headers = new LinkedHashMap<>();
    Boolean gzip = bool(n, "gzip", at, problems);
    Boolean tls = bool(n, "tls", at, problems);
    String facility = text(n, "facility");
    String appName = text(n, "appName");
    if (type == LogSink.Type.http) {
      checkUrl(url, at + ".url", problems);
      forbid(n, at, problems, "address", "tls", "facility", "appName");
      readHeaders(tenant, name, at, n.get("headers"), current.get(name), headers, problems);
    } else if (type == LogSink.Type.syslog) {
      checkSyslogAddress(address, at + ".address", problems);
      forbid(n, at, problems, "url", "headers", "gzip");
      if (facility != null && !FACILITIES.containsKey(facility)) {
        problems.add(at + ".facility: '" + facility + "' is not one of " + FACILITIES.keySet());
      }
      if (appName != null && !APP_NAME.matcher(appName).matches()) {
        problems.add(at + ".appName: 1-48 printable ASCII characters without spaces");
      }
    }
    List<String> fields = strings(n, "fields", at, problems);
    for (String f : fields) {
      if (!RECORD_FIELDS.contains(f)) {
        problems.add(at + ".fields: '" + f + "' is not a field of the access-log record " + RECORD_FIELDS);
      }
    }
    if (new HashSet<>(fields).size() != fields.size()) {
      problems.add(at + ".fields: a field is named twice");
    }
    Double sampleRate = null;
    JsonNode rate = n.get("sampleRate");
    if (rate != null && !rate.isNull()) {
      if (!rate.isNumber() || !(rate.asDouble() > 0) || rate.asDouble() > 1) {
        problems.add(at + ".sampleRate: a number with 0 < sampleRate <= 1");
      } else {
        sampleRate = rate.asDouble();
      }
    }
    LogSink.Filter filter = readFilter(n.get("filter"), at + ".filter", problems);
    String period = duration(n, "period", at, "1s", MIN_PERIOD, MAX_PERIOD, problems);
    String maxLag = duration(n, "maxLag", at, "24h", MIN_MAX_LAG, MAX_MAX_LAG, problems);
    Integer maxBatch = DEFAULT_MAX_BATCH_RECORDS;
    JsonNode mb = n.get("maxBatchRecords");
    if (mb != null && !mb.isNull()) {
      if (!mb.canConvertToInt() || !mb.isIntegralNumber() || mb.asInt() < 1 || mb.asInt() > MAX_BATCH_RECORDS) {
        problems.add(at + ".maxBatchRecords: an integer from 1 to " + MAX_BATCH_RECORDS);
      } else {
        maxBatch = mb.asInt();
      }
    }
    Long maxLagBytes = DEFAULT_MAX_LAG_BYTES;
    JsonNode lb = n.get("maxLagBytes");
    if (lb != null && !lb.isNull()) {
      if (!lb.isIntegralNumber() || lb.asLong() < MIN_MAX_LAG_BYTES || lb.asLong() > MAX_MAX_LAG_BYTES) {
        problems.add(at + ".maxLagBytes: an integer from " + MIN_MAX_LAG_BYTES + " to " + MAX_MAX_LAG_BYTES);
      } else {
        maxLagBytes = lb.asLong();
      }
    }
    String caPem = text(n, "caPem");
    if (caPem != null) {
      checkCertificates(caPem, at + ".caPem", problems);
    }
    if (problems.size() > before || type == null) {
      return null;
    }
    LogSink previous = current.get(name);
    boolean same = previous != null && previous.type() == type;
    String id = same ? previous.id() : Ids.random(12);
    java.time.Instant createdAt = same && previous.createdAt() != null ? previous.createdAt()
        : clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    boolean isHttp = type == LogSink.Type.http;
    return new LogSink(id, name, type, isHttp ? url : null, isHttp ? null : address, isHttp ? headers : null,
        isHttp ? Boolean.TRUE.equals(gzip) : null, fields, sampleRate == null ? 1.0 : sampleRate, filter, period,
        maxBatch, isHttp ? null : Boolean.TRUE.equals(tls), isHttp ? null : facility == null ? DEFAULT_FACILITY : facility,
        isHttp ? null : appName == null ? DEFAULT_APP_NAME : appName, caPem, maxLag, maxLagBytes, createdAt);
  }

  private void readHeaders(String tenant, String name, String at, JsonNode node, LogSink previous,
                           Map<String, String> out, List<String> problems) {
    if (node == null || node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      problems.add(at + ".headers: an object of header names to values");
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String h = e.getKey();
      String field = at + ".headers." + h;
      if (!TOKEN.matcher(h).matches()) {
        problems.add(field + ": not a valid header name");
        continue;
      }
      if (RESERVED_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
        problems.add(field + ": set by the sink itself, cannot be configured");
        continue;
      }
      if (!e.getValue().isTextual()) {
        problems.add(field + ": must be a string");
        continue;
      }
      String value = e.getValue().asText();
      if (MASK.equals(value)) {
        String kept = previous == null || previous.headers() == null ? null : previous.headers().get(h);
        if (kept == null) {
          problems.add(field + ": '" + MASK + "' keeps a stored value, but sink '" + name + "' has none for " + h);
        } else {
          out.put(h, kept);
        }
        continue;
      }
      if (value.length() > 8192 || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        problems.add(field + ": at most 8192 characters, without CR, LF or NUL");
        continue;
      }
      if (name != null && Ids.isValid(name)) {
        out.put(h, sealer.seal(value, sealContext(tenant, name, h)));
      }
    }
  }

  /** The value of a stored (sealed) header, in clear, for delivery. */
  public String openHeader(String tenant, LogSink sink, String header) {
    return sealer.open(sink.headers().get(header), sealContext(tenant, sink.name(), header));
  }

  private static void checkUrl(String url, String field, List<String> problems) {
    if (url == null) {
      problems.add(field + ": required for an http sink");
      return;
    }
    try {
      URI u = new URI(url);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        problems.add(field + ": must be an http or https URL");
      } else if (u.getHost() == null || u.getHost().isEmpty()) {
        problems.add(field + ": has no host");
      } else if (u.getRawUserInfo() != null) {
        problems.add(field + ": must not carry user info (put credentials in headers)");
      } else if (u.getRawFragment() != null) {
        problems.add(field + ": must not have a fragment");
      }
    } catch (URISyntaxException e) {
      problems.add(field + ": not a valid URL: " + e.getReason());
    }
  }

  private static void checkSyslogAddress(String address, String field, List<String> problems) {
    if (address == null) {
      problems.add(field + ": required for a syslog sink (host:port)");
      return;
    }
    String host = hostOf(address);
    int port = portOf(address);
    if (host == null || host.isEmpty() || port < 1 || port > 65535) {
      problems.add(field + ": '" + address + "' is not host:port (an IPv6 address in brackets)");
    }
  }

  /** The host of {@code host:port} or {@code [v6]:port}; null when malformed. */
  static String hostOf(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      return null;
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[")) {
      return host.endsWith("]") ? host.substring(1, host.length() - 1) : null;
    }
    return host.indexOf(':') >= 0 ? null : host;
  }

  /** The port of {@code host:port}; -1 when malformed. */
  static int portOf(String address) {
    int colon = address.lastIndexOf(':');
    try {
      return colon < 0 ? -1 : Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static void checkCertificates(String pem, String field, List<String> problems) {
    try {
      if (CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty()) {
        problems.add(field + ": no certificate in it");
      }
    } catch (CertificateException e) {
      problems.add(field + ": not PEM certificates: " + e.getMessage());
    }
  }

  private static LogSink.Filter readFilter(JsonNode node, String at, List<String> problems) {
    if (node == null || node.isNull()) {
      return LogSink.Filter.ALL;
    }
    if (!node.isObject()) {
      problems.add(at + ": an object with sites, status, cacheStatus");
      return null;
    }
    List<String> sites = strings(node, "sites", at, problems);
    for (String s : sites) {
      if (!Ids.isValid(s)) {
        problems.add(at + ".sites: '" + s + "' is not a site id");
      }
    }
    List<String> status = strings(node, "status", at, problems).stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    for (String s : status) {
      if (!STATUS.matcher(s).matches()) {
        problems.add(at + ".status: '" + s + "' is neither a status code (404) nor a class (5xx)");
      }
    }
    List<String> cache = strings(node, "cacheStatus", at, problems);
    for (String c : cache) {
      if (!CACHE_STATUSES.contains(c)) {
        problems.add(at + ".cacheStatus: '" + c + "' is not one of " + new java.util.TreeSet<>(CACHE_STATUSES));
      }
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!Set.of("sites", "status", "cacheStatus").contains(k)) {
        problems.add(at + "." + k + ": unknown (sites, status, cacheStatus)");
      }
    }
    return new LogSink.Filter(sites, status, cache);
  }

  private static String duration(JsonNode n, String key, String at, String dflt, Duration min, Duration max,
                                 List<String> problems) {
    String text = text(n, key);
    if (text == null) {
      return dflt;
    }
    Duration d = Sizes.parseDuration(text);
    if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      problems.add(at + "." + key + ": a duration from " + Sizes.formatDuration(min) + " to "
          + Sizes.formatDuration(max) + " (e.g. \"1s\", \"24h\")");
      return null;
    }
    return text;
  }

  private static void forbid(ObjectNode n, String at, List<String> problems, String... keys) {
    for (String k : keys) {
      if (n.hasNonNull(k)) {
        problems.add(at + "." + k + ": not a setting of this sink type");
      }
    }
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Boolean bool(JsonNode n, String key, String at, List<String> problems) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isBoolean()) {
      problems.add(at + "." + key + ": true or false");
      return null;
    }
    return v.asBoolean();
  }

  private static List<String> strings(JsonNode n, String key, String at, List<String> problems) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      problems.add(at + "." + key + ": an array of strings");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : (ArrayNode) v) {
      if (!e.isTextual()) {
        problems.add(at + "." + key + ": an array of strings");
        return List.of();
      }
      out.add(e.asText());
    }
    return out;
  }

  /**
   * The API view of the stored list: every sink without its id, header values masked, each with
   * its health from {@code health} (by sink id).
   */
  public ObjectNode view(LogSink.Stored stored, Map<String, ObjectNode> health) {
    ObjectNode out = Json.API.createObjectNode();
    ArrayNode sinks = out.putArray("sinks");
    for (LogSink s : stored.sinks()) {
      LogSink shown = s.headers() == null ? s : s.withHeaders(mask(s.headers()));
      ObjectNode node = Json.API.valueToTree(shown);
      node.remove("id");
      node.set("health", health.getOrDefault(s.id(), SinkHealth.none()));
      sinks.add(node);
    }
    return out;
  }

  private static Map<String, String> mask(Map<String, String> headers) {
    Map<String, String> out = new LinkedHashMap<>();
    headers.keySet().forEach(k -> out.put(k, MASK));
    return out;
  }

  private static Map<String, Integer> facilities() {
    Map<String, Integer> f = new LinkedHashMap<>();
    String[] names = {"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
        "ftp", "ntp", "audit", "alert", "clock"};
    for (int i = 0; i < names.length; i++) {
      f.put(names[i], i);
    }
    for (int i = 0; i < 8; i++) {
      f.put("local" + i, 16 + i);
    }
    return java.util.Collections.unmodifiableMap(f);
  }
}
