package dev.kasoku.common.store.redis;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.ApiKeyStore;
import dev.kasoku.common.store.AuditStore;
import dev.kasoku.common.store.EdgeMemberStore;
import dev.kasoku.common.store.LogSinkStore;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.store.PurgeStatusStore;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreUnavailableException;
import dev.kasoku.common.store.TenantStore;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.store.impl.StoreMeters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The store of a clustered Kasoku: one Redis (standalone, or a primary behind Sentinel) shared by
 * every process.
 *
 * <h2>Key layout</h2>
 * Every key starts with the root prefix ({@code kasoku} in production; tests pass a random one).
 * Platform data: {@code <root>:tenants} (hash id → tenant), {@code <root>:hosts} (hash hostname →
 * {@code tenant/site}), {@code <root>:apikeys} (hash key id → tenant), {@code <root>:site-tenants}
 * (set of tenants that have sites), {@code <root>:epoch}, {@code <root>:purge:seq},
 * {@code <root>:purges} (stream), {@code <root>:access:*} (platform-scope access state),
 * {@code <root>:stats-folded:*} (ids of folded counter batches, kept an hour; no tenant data),
 * {@code <root>:logsinks:tenants} and {@code <root>:logsinks:epoch} (which tenants have log sinks),
 * {@code <root>:edges} and {@code <root>:edges:leases} (the cluster's edges, {@link RedisEdgeMembers}). Everything
 * of tenant {@code T} lives under {@code <root>:t:T:}: users, keys, sites and their versions, stats,
 * notifications, access state and the index of its purge-log entries. Tenant ids cannot contain
 * {@code :} or glob characters ({@link Ids}), so {@code SCAN MATCH <root>:t:T:*} finds exactly one
 * tenant's data (docs/security-controls.md, 8.1.1) and {@link #eraseTenant} can remove it (CLD.8.1.5).
 *
 * <h2>Atomicity</h2>
 * A write that touches several keys is one Lua script ({@link LuaScript}: EVALSHA, EVAL when the
 * server lost its script cache). Redis runs a script to the end without interleaving other
 * commands, and each script does all its checks before its first write, so a script is applied
 * entirely or not at all; a caller that timed out does not know which, but never sees half of it.
 * Site puts are optimistic: Java builds version N+1 from the current version N it read, and the
 * script refuses (and Java retries) when the current version is no longer N, so the stored JSON
 * is always built by Java while the check-and-claim of hostnames stays atomic. The purge sequence
 * is an {@code INCR} in the same script as the {@code XADD}, and is the stream entry id.
 *
 * <h2>Failures and recovery</h2>
 * Commands go through vertx-redis-client's pooled client: each call borrows a connection, and a
 * connection that broke is evicted from the pool, so when Redis returns the next call simply
 * opens a new one; the store object never has to be recreated. Every call is bounded by a timeout.
 * Connection-level failures (refused, reset, closed, timed out) become
 * {@link StoreUnavailableException} (API callers see 503); after a failure to connect, calls fail
 * fast without touching the network for a short, growing backoff (50 ms doubling to 1 s), so an
 * outage does not turn every request into a connect attempt. Redis errors that mean "not now"
 * (LOADING, BUSY, MISCONF, READONLY, ...) are unavailability too; any other Redis error is a bug
 * and surfaces as {@link IllegalStateException}.
 *
 * <p>Not supported: Redis Cluster (scripts touch platform and tenant keys that would live in
 * different hash slots).
 */
public final class RedisStore implements Store {
  public static final String DEFAULT_ROOT = "kasoku";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  private static final Pattern ROOT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final long BACKOFF_MIN_MS = 50;
  private static final long BACKOFF_MAX_MS = 1000;
  private static final Set<String> TRANSIENT_ERRORS =
      Set.of("LOADING", "BUSY", "MISCONF", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "NOREPLICAS",
          // not from Redis: the client fails the commands still waiting on a connection that closed
          "CONNECTION_CLOSED");
  private static final System.Logger LOG = System.getLogger(RedisStore.class.getName());

  private final Redis redis;
  private final String root;
  private final long timeoutMs;
  private final Clock clock;
  private final AtomicLong retryAtNanos = new AtomicLong();
  private final AtomicLong backoffMs = new AtomicLong();
  private volatile boolean closed;
  private final StoreMeters meters;

  private final RedisTenants tenants = new RedisTenants(this);
  private final RedisApiKeys apiKeys = new RedisApiKeys(this);
  private final RedisSites sites = new RedisSites(this);
  private final RedisPurgeLog purgeLog = new RedisPurgeLog(this);
  private final RedisStats stats = new RedisStats(this);
  private final RedisNotifications notifications = new RedisNotifications(this);
  private final RedisAudit audit = new RedisAudit(this);
  private final RedisPurgeStatuses purgeStatuses = new RedisPurgeStatuses(this);
  private final RedisAccess access = new RedisAccess(this);
  private final RedisLogSinks logSinks = new RedisLogSinks(this);
  private final RedisEdgeMembers edgeMembers = new RedisEdgeMembers(this);

  /**
   * @param url {@code redis://[user:password@]host:port[/db]}
   * @param root key prefix of every key this store writes
   * @param timeout bound of every call
   * @param clock decides whether a marker's expiry is already past
   */
  public RedisStore(Vertx vertx, String url, String root, Duration timeout, Clock clock) {
    if (!ROOT.matcher(root).matches()) {
      throw new IllegalArgumentException("invalid Redis key root '" + root + "': expected " + ROOT.pattern());
    }
    this.root = root;
    this.timeoutMs = timeout.toMillis();
    this.clock = clock;
    RedisOptions options = new RedisOptions()
        .setConnectionString(url)
        .setMaxPoolSize(16)
        .setMaxPoolWaiting(4096)
        .setPoolRecycleTimeout(15_000)
        .setNetClientOptions(new NetClientOptions()
            .setConnectTimeout((int) Math.max(100, timeoutMs))
            .setTcpKeepAlive(true)
            .setTcpNoDelay(true));
    this.redis = Redis.createClient(vertx, options);
    this.meters = new StoreMeters(Prometheus.registry(vertx));
  }

  /** A store with the production root {@code kasoku}, a 2 s call timeout and the system clock. */
  public static RedisStore create(Vertx vertx, String url) {
    return new RedisStore(vertx, url, DEFAULT_ROOT, DEFAULT_TIMEOUT, Clock.systemUTC());
  }

  /** The root prefix of every key. */
  public String root() {
    return root;
  }

  // --- keys -----------------------------------------------------------------------------------

  String key(String name) {
    return root + ":" + name;
  }

  /** The prefix of every key of the tenant: {@code <root>:t:<tenant>:}. */
  public String tenantPrefix(String tenant) {
    return root + ":t:" + Ids.requireValid(tenant) + ":";
  }

  String tenantKey(String tenant, String name) {
    return tenantPrefix(tenant) + name;
  }

  Clock clock() {
    return clock;
  }

  // --- calls ----------------------------------------------------------------------------------

  /** Sends one command, bounded by the timeout, with failures mapped (see the class comment). */
  Future<Response> send(Request request) {
    long start = System.nanoTime();
    Future<Void> gate = gate();
    if (gate != null) {
      return meters.observe(kind(request), start, gate.map(v -> null));
    }
    return meters.observe(kind(request), start, observe(redis.send(request)));
  }

  /** The commands of this store that only read; every other one (scripts included) counts as a write. */
  private static final Set<Command> READS = Set.of(Command.GET, Command.HGET, Command.HGETALL, Command.HMGET,
      Command.HSCAN, Command.SCAN, Command.EXISTS, Command.SMEMBERS, Command.LRANGE, Command.XRANGE, Command.PING,
      Command.MGET, Command.HEXISTS, Command.SISMEMBER, Command.XREVRANGE, Command.ZRANGE, Command.TTL, Command.PTTL);

  private static StoreMeters.Operation kind(Request request) {
    return READS.contains(request.command()) ? StoreMeters.Operation.READ : StoreMeters.Operation.WRITE;
  }

  /** Sends commands pipelined on one connection (not atomic; for reads). */
  Future<List<Response>> batch(List<Request> requests) {
    if (requests.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    long start = System.nanoTime();
    Future<Void> gate = gate();
    if (gate != null) {
      return meters.observe(StoreMeters.Operation.READ, start, gate.map(v -> null));
    }
    return meters.observe(StoreMeters.Operation.READ, start, observe(redis.batch(requests)));
  }

  private Future<Void> gate() {
    if (closed) {
      return Future.failedFuture(new StoreUnavailableException("the Redis store is closed", null));
    }
    long wait = retryAtNanos.get() - System.nanoTime();
    if (wait > 0) {
      return Future.failedFuture(new StoreUnavailableException(
          "Redis is unreachable; next attempt in " + TimeUnit.NANOSECONDS.toMillis(wait) + " ms", null));
    }
    return null;
  }

  private <T> Future<T> observe(Future<T> call) {
    return call.timeout(timeoutMs, TimeUnit.MILLISECONDS).transform(ar -> {
      if (ar.succeeded()) {
        backoffMs.set(0);
        return Future.succeededFuture(ar.result());
      }
      return Future.failedFuture(mapFailure(ar.cause()));
    });
  }

  private Throwable mapFailure(Throwable e) {
    if (e instanceof ErrorType err) {
      String text = String.valueOf(err.toString());
      String code = text.split(" ", 2)[0];
      if (TRANSIENT_ERRORS.contains(code)) {
        return new StoreUnavailableException("Redis is not available: " + text, err);
      }
      // NOSCRIPT is handled by LuaScript; anything else is a bug in a command or script
      return "NOSCRIPT".equals(code) ? err : new IllegalStateException("Redis error: " + text, err);
    }
    if (e instanceof TimeoutException) {
      return new StoreUnavailableException("Redis did not answer within " + timeoutMs + " ms", e);
    }
    if (e instanceof java.net.ConnectException || isConnectionFailure(e)) {
      long next = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoffMs.get() * 2));
      backoffMs.set(next);
      retryAtNanos.set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(next));
      LOG.log(System.Logger.Level.DEBUG, "Redis unreachable, backing off " + next + " ms: " + e);
    }
    return new StoreUnavailableException("Redis is unreachable: " + e.getMessage(), e);
  }

  private static boolean isConnectionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.io.IOException || t instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("Connection refused") || m.contains("closed") || m.contains("reset"))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a script on this store. */
  Future<Response> eval(LuaScript script, List<String> keys, List<String> args) {
    return script.run(this, keys, args);
  }

  static Request cmd(Command command, Object... args) {
    Request r = Request.cmd(command);
    for (Object a : args) {
      r.arg(String.valueOf(a));
    }
    return r;
  }

  static String str(Response r) {
    return r == null ? null : r.toString();
  }

  /** The field → value pairs of a hash reply (RESP3 map or RESP2 flat array). */
  static Map<String, String> hash(Response r) {
    Map<String, String> out = new LinkedHashMap<>();
    if (r == null) {
      return out;
    }
    if (r.isMap()) {
      for (String k : r.getKeys()) {
        out.put(k, str(r.get(k)));
      }
    } else {
      for (int i = 0; i + 1 < r.size(); i += 2) {
        out.put(r.get(i).toString(), str(r.get(i + 1)));
      }
    }
    return out;
  }

  static List<String> strings(Response r) {
    List<String> out = new ArrayList<>();
    if (r != null) {
      for (Response e : r) {
        out.add(str(e));
      }
    }
    return out;
  }

  // --- Store ------------------------------------------------------------------------------------

  @Override
  public TenantStore tenants() {
    return tenants;
  }

  @Override
  public ApiKeyStore apiKeys() {
    return apiKeys;
  }

  @Override
  public SiteStore sites() {
    return sites;
  }

  @Override
  public PurgeLog purgeLog() {
    return purgeLog;
  }

  @Override
  public StatsStore stats() {
    return stats;
  }

  @Override
  public PurgeStatusStore purgeStatuses() {
    return purgeStatuses;
  }

  @Override
  public AuditStore audit() {
    return audit;
  }

  @Override
  public EdgeMemberStore edgeMembers() {
    return edgeMembers;
  }

  @Override
  public LogSinkStore logSinks() {
    return logSinks;
  }

  @Override
  public NotificationStore notifications() {
    return notifications;
  }

  @Override
  public AccessStore access() {
    return access;
  }

  @Override
  public Future<Void> ping() {
    return send(cmd(Command.PING)).mapEmpty();
  }

  private static final LuaScript DELETE_IF_EQUAL = new LuaScript("""
      -- KEYS[1] hash; ARGV[1] expected value; ARGV[2..] fields: delete each field holding exactly ARGV[1]
      local n = 0
      for i = 2, #ARGV do
        if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
          n = n + redis.call('HDEL', KEYS[1], ARGV[i])
        end
      end
      return n
      """);

  /**
   * Erases the tenant: its entries in the platform indexes first (hostname claims and API-key ids
   * found by scanning the indexes for the tenant, its purge-log entries via its index, the tenant
   * record), then every key under {@code <root>:t:<tenant>:} found by SCAN. Each step is
   * idempotent, so an erase interrupted by an outage is completed by calling it again.
   */
  @Override
  public Future<Void> eraseTenant(String tenant) {
    String owner = Ids.requireValid(tenant) + "/";
    String hosts = key(RedisSites.HOSTS);
    String keyIndex = key(RedisApiKeys.INDEX);
    return hscanFields(hosts, v -> v.startsWith(owner), "0", new ArrayList<>())
        .compose(claimed -> deleteIfEqualEach(hosts, claimed))
        .compose(v -> hscanFields(keyIndex, tenant::equals, "0", new ArrayList<>()))
        .compose(ids -> deleteIfEqual(keyIndex, tenant, ids))
        .compose(v -> purgeLog.eraseTenantEntries(tenant))
        .compose(v -> send(cmd(Command.HDEL, key(RedisTenants.TENANTS), tenant)))
        .compose(v -> send(cmd(Command.SREM, key(RedisSites.SITE_TENANTS), tenant)))
        .compose(v -> send(cmd(Command.SREM, key(RedisAudit.CHAINS), tenant)))
        .compose(v -> send(cmd(Command.SREM, key(RedisLogSinks.TENANTS), tenant)))
        .compose(hadSinks -> hadSinks.toLong() > 0 ? send(cmd(Command.INCR, key(RedisLogSinks.EPOCH))) : Future.succeededFuture())
        .compose(v -> send(cmd(Command.EXISTS, tenantKey(tenant, RedisSites.CURRENT))))
        .compose(hadSites -> deleteNamespace(tenant, "0")
            .compose(v -> hadSites.toLong() > 0 ? send(cmd(Command.INCR, key(RedisSites.EPOCH))) : Future.succeededFuture()))
        .mapEmpty();
  }

  /** Fields of a hash whose value satisfies the predicate, via HSCAN (no blocking HGETALL of a big index). */
  private Future<List<String>> hscanFields(String hashKey, java.util.function.Predicate<String> valueMatches,
                                           String cursor, List<String> acc) {
    return send(cmd(Command.HSCAN, hashKey, cursor, "COUNT", 1000)).compose(r -> {
      Map<String, String> page = hash(r.get(1));
      page.forEach((field, value) -> {
        if (value != null && valueMatches.test(value)) {
          acc.add(field);
        }
      });
      String next = r.get(0).toString();
      return "0".equals(next) ? Future.succeededFuture(acc) : hscanFields(hashKey, valueMatches, next, acc);
    });
  }

  /** Hostnames are claimed as {@code tenant/site}: delete each field only if it still holds that value. */
  private Future<Void> deleteIfEqualEach(String hashKey, List<String> fields) {
    if (fields.isEmpty()) {
      return Future.succeededFuture();
    }
    return send(cmd(Command.HMGET, prepend(hashKey, fields))).compose(values -> {
      Map<String, List<String>> byValue = new LinkedHashMap<>();
      for (int i = 0; i < fields.size(); i++) {
        String v = str(values.get(i));
        if (v != null) {
          byValue.computeIfAbsent(v, k -> new ArrayList<>()).add(fields.get(i));
        }
      }
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<String, List<String>> e : byValue.entrySet()) {
        chain = chain.compose(x -> deleteIfEqual(hashKey, e.getKey(), e.getValue()));
      }
      return chain;
    });
  }

  private Future<Void> deleteIfEqual(String hashKey, String value, List<String> fields) {
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < fields.size(); from += 500) {
      List<String> chunk = fields.subList(from, Math.min(fields.size(), from + 500));
      List<String> args = new ArrayList<>(chunk.size() + 1);
      args.add(value);
      args.addAll(chunk);
      chain = chain.compose(v -> eval(DELETE_IF_EQUAL, List.of(hashKey), args).mapEmpty());
    }
    return chain;
  }

  private Future<Void> deleteNamespace(String tenant, String cursor) {
    return send(cmd(Command.SCAN, cursor, "MATCH", tenantPrefix(tenant) + "*", "COUNT", 1000)).compose(r -> {
      List<String> keys = strings(r.get(1));
      Future<?> del = keys.isEmpty() ? Future.succeededFuture() : send(cmd(Command.UNLINK, keys.toArray()));
      String next = r.get(0).toString();
      return del.compose(v -> "0".equals(next) ? Future.<Void>succeededFuture() : deleteNamespace(tenant, next));
    });
  }

  /** Every key in the tenant's namespace (SCAN MATCH {@code <root>:t:<tenant>:*}): the data inventory. */
  public Future<List<String>> namespaceKeys(String tenant) {
    return scanAll(tenantPrefix(tenant) + "*", "0", new ArrayList<>());
  }

  /** Every key of this store's root: used by tests to clean up. */
  public Future<List<String>> allKeys() {
    return scanAll(root + ":*", "0", new ArrayList<>());
  }

  private Future<List<String>> scanAll(String pattern, String cursor, List<String> acc) {
    return send(cmd(Command.SCAN, cursor, "MATCH", pattern, "COUNT", 1000)).compose(r -> {
      acc.addAll(strings(r.get(1)));
      String next = r.get(0).toString();
      return "0".equals(next) ? Future.succeededFuture(acc) : scanAll(pattern, next, acc);
    });
  }

  private static Object[] prepend(String first, List<String> rest) {
    Object[] out = new Object[rest.size() + 1];
    out[0] = first;
    for (int i = 0; i < rest.size(); i++) {
      out[i + 1] = rest.get(i);
    }
    return out;
  }

  @Override
  public Future<Void> close() {
    closed = true;
    return redis.close();
  }

  @Override
  public String kind() {
    return "redis";
  }

  static SiteVersion decodeSite(String json) {
    return Json.decode(json, SiteVersion.class);
  }

  static PurgeRecord decodePurge(String json, long seq) {
    return Json.decode(json, PurgeRecord.class).withSeq(seq);
  }
}
