package dev.kasoku.common.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kasoku.common.net.Cidr;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Builds a {@link KasokuConfig} from the environment and, when {@code KASOKU_CONFIG} names one, a
 * JSON file whose keys are the same {@code KASOKU_*} names. The environment wins over the file, so
 * a Kubernetes env entry can override a mounted config file. Unknown {@code KASOKU_*} keys are
 * refused: a typo must not silently fall back to a default.
 */
public final class ConfigLoader {

  /** Every key this loader understands. */
  public static final Set<String> KEYS = Set.of(
      "KASOKU_CONFIG", "KASOKU_SERVICES", "KASOKU_MODE", "KASOKU_NODE_ID",
      "KASOKU_CLUSTER", "KASOKU_CLUSTER_HOST", "KASOKU_CLUSTER_PORT", "KASOKU_CLUSTER_MEMBERS",
      "KASOKU_K8S_SERVICE_DNS", "KASOKU_EVENTBUS_PORT", "KASOKU_REDIS_URL", "KASOKU_BIND_ADDRESS",
      "KASOKU_EDGE_PORT", "KASOKU_EDGE_TLS_PORT", "KASOKU_API_PORT", "KASOKU_DATA_DIR",
      "KASOKU_LOG_DIR", "KASOKU_EDGE_MEMORY", "KASOKU_EDGE_MAX_OBJECT", "KASOKU_SECRET_KEY", "KASOKU_BOOTSTRAP_TOKEN",
      "KASOKU_ALLOWED_ORIGIN_NETWORKS", "KASOKU_TRUSTED_PROXIES", "KASOKU_SHUTDOWN_GRACE",
      "KASOKU_EDGE_HEADER_TIMEOUT", "KASOKU_EDGE_KEEPALIVE_TIMEOUT", "KASOKU_EDGE_BODY_TIMEOUT",
      "KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT", "KASOKU_EDGE_MAX_CONNECTIONS", "KASOKU_METRICS_TOKEN",
      "KASOKU_EDGE_LOG_BUFFER", "KASOKU_PEER_PORT", "KASOKU_REGION", "KASOKU_AUDIT_RETENTION",
      "KASOKU_EDGE_TLS_PROVIDER", "KASOKU_EDGE_PEER_FILL", "KASOKU_EDGE_WARMUP", "KASOKU_TEST_REDIS_URL");

  private final Map<String, String> values;

  private ConfigLoader(Map<String, String> values) {
    this.values = values;
  }

  /** Reads the process environment (and the KASOKU_CONFIG file it may name). */
  public static KasokuConfig fromEnvironment() {
    return load(System.getenv());
  }

  /** Reads the given environment map; tests pass their own. */
  public static KasokuConfig load(Map<String, String> env) {
    Map<String, String> merged = new HashMap<>();
    String file = env.get("KASOKU_CONFIG");
    if (file != null && !file.isBlank()) {
      merged.putAll(readFile(file));
    }
    env.forEach((k, v) -> {
      if (k.startsWith("KASOKU_")) {
        merged.put(k, v);
      }
    });
    for (String key : merged.keySet()) {
      if (!KEYS.contains(key)) {
        throw new ConfigException(key, merged.get(key), "unknown setting (known: see README, Configuration)");
      }
    }
    return new ConfigLoader(merged).build();
  }

  private KasokuConfig build() {
    Path dataDir = Path.of(string("KASOKU_DATA_DIR", KasokuConfig.DEFAULT_DATA_DIR));
    Path logDir = Path.of(string("KASOKU_LOG_DIR", dataDir.resolve("logs").toString()));
    Optional<String> redis = optional("KASOKU_REDIS_URL");
    redis.ifPresent(url -> {
      if (!url.startsWith("redis://") && !url.startsWith("rediss://") && !url.startsWith("unix://")) {
        throw new ConfigException("KASOKU_REDIS_URL", url, "expected redis://host:port[/db]");
      }
    });
    KasokuConfig.ClusterSettings cluster = new KasokuConfig.ClusterSettings(
        bool("KASOKU_CLUSTER", false),
        string("KASOKU_CLUSTER_HOST", "127.0.0.1"),
        port("KASOKU_CLUSTER_PORT", KasokuConfig.ClusterSettings.DEFAULT_PORT, false),
        members("KASOKU_CLUSTER_MEMBERS"),
        optional("KASOKU_K8S_SERVICE_DNS"),
        port("KASOKU_EVENTBUS_PORT", 0, true));
    return new KasokuConfig(
        ServiceRole.parseList("KASOKU_SERVICES", values.get("KASOKU_SERVICES")),
        mode(),
        string("KASOKU_NODE_ID", defaultNodeId()),
        cluster,
        redis,
        address("KASOKU_BIND_ADDRESS", "0.0.0.0"),
        port("KASOKU_EDGE_PORT", KasokuConfig.DEFAULT_EDGE_PORT, true),
        port("KASOKU_EDGE_TLS_PORT", KasokuConfig.DEFAULT_EDGE_TLS_PORT, true),
        port("KASOKU_API_PORT", KasokuConfig.DEFAULT_API_PORT, true),
        dataDir,
        logDir,
        bytesOrShareOfHeap("KASOKU_EDGE_MEMORY", Runtime.getRuntime().maxMemory(), KasokuConfig.DEFAULT_EDGE_MEMORY_PERCENT),
        optional("KASOKU_SECRET_KEY").orElse(null),
        optional("KASOKU_BOOTSTRAP_TOKEN").orElse(null),
        cidrs("KASOKU_ALLOWED_ORIGIN_NETWORKS"),
        cidrs("KASOKU_TRUSTED_PROXIES"),
        duration("KASOKU_SHUTDOWN_GRACE", KasokuConfig.DEFAULT_SHUTDOWN_GRACE),
        bytes("KASOKU_EDGE_MAX_OBJECT", KasokuConfig.DEFAULT_EDGE_MAX_OBJECT),
        new KasokuConfig.EdgeConnections(
            duration("KASOKU_EDGE_HEADER_TIMEOUT", KasokuConfig.EdgeConnections.DEFAULT_HEADER_TIMEOUT),
            duration("KASOKU_EDGE_KEEPALIVE_TIMEOUT", KasokuConfig.EdgeConnections.DEFAULT_KEEP_ALIVE_TIMEOUT),
            duration("KASOKU_EDGE_BODY_TIMEOUT", KasokuConfig.EdgeConnections.DEFAULT_BODY_TIMEOUT),
            count("KASOKU_EDGE_MAX_CONNECTIONS_PER_CLIENT", KasokuConfig.EdgeConnections.DEFAULT_MAX_PER_CLIENT),
            count("KASOKU_EDGE_MAX_CONNECTIONS", 0)),
        optional("KASOKU_METRICS_TOKEN").orElse(null),
        bytes("KASOKU_EDGE_LOG_BUFFER", KasokuConfig.DEFAULT_EDGE_LOG_BUFFER),
        port("KASOKU_PEER_PORT", KasokuConfig.DEFAULT_PEER_PORT, true),
        optional("KASOKU_REGION").orElse(null),
        duration("KASOKU_AUDIT_RETENTION", KasokuConfig.DEFAULT_AUDIT_RETENTION),
        tlsProvider(),
        onOff("KASOKU_EDGE_PEER_FILL", true),
        warmUp());
  }

  /** A duration, or {@code off} (as 0). */
  private Duration warmUp() {
    Optional<String> v = optional("KASOKU_EDGE_WARMUP");
    if (v.isPresent() && v.get().trim().equalsIgnoreCase("off")) {
      return Duration.ZERO;
    }
    if (v.isPresent() && v.get().trim().equals("0")) {
      return Duration.ZERO;
    }
    return duration("KASOKU_EDGE_WARMUP", KasokuConfig.DEFAULT_EDGE_WARMUP);
  }

  /** {@code on} or {@code off} (also true/false). */
  private boolean onOff(String key, boolean def) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    return switch (v.get().trim().toLowerCase(Locale.ROOT)) {
      case "on", "true" -> true;
      case "off", "false" -> false;
      default -> throw new ConfigException(key, v.get(), "expected on or off");
    };
  }

  /** A positive whole number (at most 2^31 - 1). */
  private int count(String key, int def) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    try {
      int n = Integer.parseInt(v.get());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the key
    }
    throw new ConfigException(key, v.get(), "expected a whole number of at least 1");
  }

  private static Map<String, String> readFile(String file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new ConfigException("KASOKU_CONFIG", file, "cannot read JSON file: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("KASOKU_CONFIG", file, "must hold a JSON object of KASOKU_* keys");
    }
    Map<String, String> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isContainerNode()) {
        if (v.isArray()) {
          List<String> parts = new ArrayList<>();
          v.forEach(n -> parts.add(n.asText()));
          out.put(e.getKey(), String.join(",", parts));
          continue;
        }
        throw new ConfigException(e.getKey(), v.toString(), "expected a string, number, boolean or list in " + file);
      }
      out.put(e.getKey(), v.asText());
    }
    return out;
  }

  private Optional<String> optional(String key) {
    String v = values.get(key);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  private String string(String key, String def) {
    return optional(key).orElse(def);
  }

  private boolean bool(String key, boolean def) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    return switch (v.get().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ConfigException(key, v.get(), "expected true or false");
    };
  }

  private int port(String key, int def, boolean zeroAllowed) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    try {
      int p = Integer.parseInt(v.get());
      if (p >= (zeroAllowed ? 0 : 1) && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the key
    }
    throw new ConfigException(key, v.get(), "expected a port number " + (zeroAllowed ? "0" : "1") + "-65535");
  }

  private long bytes(String key, long def) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    long n = Sizes.parseBytes(v.get());
    if (n <= 0) {
      throw new ConfigException(key, v.get(), "expected a positive byte size such as 512m or 2g");
    }
    return n;
  }

  /**
   * A byte size, or a share of the maximum heap written {@code N%} (1-100): in a container whose heap
   * is itself a share of the memory limit ({@code -XX:MaxRAMPercentage}), a share keeps the budget
   * right when only the limit changes.
   */
  private long bytesOrShareOfHeap(String key, long maxHeap, int defaultPercent) {
    Optional<String> v = optional(key);
    if (v.isEmpty() || !v.get().endsWith("%")) {
      return v.isEmpty() ? share(maxHeap, defaultPercent) : bytes(key, 0);
    }
    String digits = v.get().substring(0, v.get().length() - 1).trim();
    if (digits.matches("\\d{1,3}")) {
      int percent = Integer.parseInt(digits);
      if (percent >= 1 && percent <= 100) {
        return share(maxHeap, percent);
      }
    }
    throw new ConfigException(key, v.get(), "expected a byte size such as 512m or 2g, or a share of the heap from 1% to 100%");
  }

  private static long share(long total, int percent) {
    return (long) (total * (percent / 100.0));
  }

  private Duration duration(String key, Duration def) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return def;
    }
    Duration d = Sizes.parseDuration(v.get());
    if (d == null) {
      throw new ConfigException(key, v.get(), "expected a duration such as 500ms, 10s, 1m");
    }
    return d;
  }

  private KasokuConfig.Mode mode() {
    Optional<String> v = optional("KASOKU_MODE");
    if (v.isEmpty()) {
      return KasokuConfig.Mode.DEV;
    }
    try {
      return KasokuConfig.Mode.valueOf(v.get().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("KASOKU_MODE", v.get(), "expected dev or production");
    }
  }

  private KasokuConfig.TlsProvider tlsProvider() {
    Optional<String> v = optional("KASOKU_EDGE_TLS_PROVIDER");
    if (v.isEmpty()) {
      return KasokuConfig.TlsProvider.AUTO;
    }
    try {
      return KasokuConfig.TlsProvider.valueOf(v.get().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("KASOKU_EDGE_TLS_PROVIDER", v.get(), "expected auto, openssl or jdk");
    }
  }

  private String address(String key, String def) {
    String v = string(key, def);
    try {
      if (!v.matches("[0-9a-fA-F:.]+")) {
        throw new IllegalArgumentException();
      }
      InetAddress.getByName(v);
      return v;
    } catch (Exception e) {
      throw new ConfigException(key, v, "expected a literal IP address such as 0.0.0.0 or 127.0.0.1");
    }
  }

  private List<String> members(String key) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String m : v.get().split(",")) {
      String t = m.trim();
      if (t.isEmpty()) {
        continue;
      }
      int colon = t.lastIndexOf(':');
      if (colon <= 0 || !t.substring(colon + 1).matches("\\d{1,5}")
          || Integer.parseInt(t.substring(colon + 1)) > 65535) {
        throw new ConfigException(key, v.get(), "member '" + t + "' is not host:port");
      }
      out.add(t);
    }
    return out;
  }

  private List<Cidr> cidrs(String key) {
    Optional<String> v = optional(key);
    if (v.isEmpty()) {
      return List.of();
    }
    List<Cidr> out = new ArrayList<>();
    for (String part : Arrays.stream(v.get().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()) {
      try {
        out.add(Cidr.parse(part));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, v.get(), e.getMessage());
      }
    }
    return out;
  }

  private static String defaultNodeId() {
    String host = System.getenv().getOrDefault("HOSTNAME", "");
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    return host.isBlank() ? "node-" + suffix : host + "-" + suffix;
  }
}
