package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.hash;
import static dev.kasoku.common.store.redis.RedisStore.str;
import static dev.kasoku.common.store.redis.RedisStore.strings;

import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.store.HostnameConflictException;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Sites: {@code <root>:t:<tenant>:sites} (hash site → current version JSON),
 * {@code <root>:t:<tenant>:site:<site>:versions} (hash version → JSON), the platform hostname index
 * {@code <root>:hosts} (hash hostname → {@code tenant/site}), {@code <root>:site-tenants} (tenants
 * that have sites, for {@link #listAllCurrent}) and {@code <root>:epoch}.
 *
 * <p>A put reads the current version N, builds version N+1 in Java and runs {@link #PUT}, which
 * refuses with {@code stale} when the current version is no longer N (another put won; we retry),
 * with {@code conflict} when a hostname belongs to another site, and otherwise claims and releases
 * hostnames, stores the version and bumps the epoch, all in one script.
 */
final class RedisSites implements SiteStore {
  static final String HOSTS = "hosts";
  static final String SITE_TENANTS = "site-tenants";
  static final String EPOCH = "epoch";
  static final String CURRENT = "sites";
  private static final int MAX_ATTEMPTS = 32;

  private static final LuaScript PUT = new LuaScript("""
      -- KEYS: 1 hosts, 2 tenant sites, 3 site versions, 4 epoch, 5 site-tenants
      -- ARGV: 1 site, 2 owner (tenant/site), 3 expected current version, 4 new version, 5 json, 6 tenant,
      --       7.. hostnames
      local cur = redis.call('HGET', KEYS[2], ARGV[1])
      local old = nil
      local curVersion = 0
      if cur then
        old = cjson.decode(cur)
        curVersion = tonumber(old.version)
      end
      if curVersion ~= tonumber(ARGV[3]) then
        return {'stale', tostring(curVersion)}
      end
      for i = 7, #ARGV do
        local holder = redis.call('HGET', KEYS[1], ARGV[i])
        if holder and holder ~= ARGV[2] then
          return {'conflict', ARGV[i]}
        end
      end
      -- every check passed: from here on only writes
      if old then
        local keep = {}
        for i = 7, #ARGV do keep[ARGV[i]] = true end
        for _, h in ipairs(old.hostnames) do
          if not keep[h] and redis.call('HGET', KEYS[1], h) == ARGV[2] then
            redis.call('HDEL', KEYS[1], h)
          end
        end
      end
      for i = 7, #ARGV do
        redis.call('HSET', KEYS[1], ARGV[i], ARGV[2])
      end
      redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
      redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
      redis.call('SADD', KEYS[5], ARGV[6])
      return {'ok', tostring(redis.call('INCR', KEYS[4]))}
      """);

  private static final LuaScript DELETE = new LuaScript("""
      -- KEYS: 1 hosts, 2 tenant sites, 3 site versions, 4 epoch, 5 site-tenants
      -- ARGV: 1 site, 2 owner, 3 tenant
      local cur = redis.call('HGET', KEYS[2], ARGV[1])
      if not cur then
        return 0
      end
      for _, h in ipairs(cjson.decode(cur).hostnames) do
        if redis.call('HGET', KEYS[1], h) == ARGV[2] then
          redis.call('HDEL', KEYS[1], h)
        end
      end
      redis.call('HDEL', KEYS[2], ARGV[1])
      redis.call('DEL', KEYS[3])
      if redis.call('HLEN', KEYS[2]) == 0 then
        redis.call('SREM', KEYS[5], ARGV[3])
      end
      redis.call('INCR', KEYS[4])
      return 1
      """);

  private final RedisStore store;

  RedisSites(RedisStore store) {
    this.store = store;
  }

  private String versionsKey(String tenant, String site) {
    return store.tenantKey(tenant, "site:" + Ids.requireValid(site) + ":versions");
  }

  @Override
  public Future<SiteVersion> put(String tenant, String site, List<String> hostnames, String configJson,
                                 String author, Instant at) {
    List<String> hosts = List.copyOf(new LinkedHashSet<>(hostnames));
    new SiteVersion(tenant, site, 1, author, at, hosts, configJson); // validates before any I/O
    Promise<SiteVersion> result = Promise.promise();
    attempt(tenant, site, hosts, configJson, author, at, 1, result);
    return result.future();
  }

  private void attempt(String tenant, String site, List<String> hosts, String configJson, String author,
                       Instant at, int attempt, Promise<SiteVersion> result) {
    current(tenant, site).compose(cur -> {
      long expected = cur.map(SiteVersion::version).orElse(0L);
      SiteVersion next = new SiteVersion(tenant, site, expected + 1, author, at, hosts, configJson);
      List<String> args = new ArrayList<>();
      args.add(site);
      args.add(tenant + "/" + site);
      args.add(Long.toString(expected));
      args.add(Long.toString(expected + 1));
      args.add(Json.encode(next));
      args.add(tenant);
      args.addAll(hosts);
      return store.eval(PUT, keys(tenant, site), args).map(r -> new Outcome(r.get(0).toString(), r.get(1).toString(), next));
    }).onFailure(result::fail).onSuccess(o -> {
      switch (o.status) {
        case "ok" -> result.complete(o.version);
        case "conflict" -> result.fail(new HostnameConflictException(o.detail));
        default -> {
          if (attempt >= MAX_ATTEMPTS) {
            result.fail(new IllegalStateException("site " + tenant + "/" + site + " changed " + attempt
                + " times while we tried to store a new version"));
          } else {
            attempt(tenant, site, hosts, configJson, author, at, attempt + 1, result);
          }
        }
      }
    });
  }

  private record Outcome(String status, String detail, SiteVersion version) {}

  private List<String> keys(String tenant, String site) {
    return List.of(store.key(HOSTS), store.tenantKey(tenant, CURRENT), versionsKey(tenant, site),
        store.key(EPOCH), store.key(SITE_TENANTS));
  }

  @Override
  public Future<Optional<SiteVersion>> current(String tenant, String site) {
    return store.send(cmd(Command.HGET, store.tenantKey(tenant, CURRENT), site))
        .map(r -> Optional.ofNullable(str(r)).map(RedisStore::decodeSite));
  }

  @Override
  public Future<Optional<SiteVersion>> version(String tenant, String site, long version) {
    return store.send(cmd(Command.HGET, versionsKey(tenant, site), version))
        .map(r -> Optional.ofNullable(str(r)).map(RedisStore::decodeSite));
  }

  @Override
  public Future<List<SiteVersion>> versions(String tenant, String site) {
    return store.send(cmd(Command.HGETALL, versionsKey(tenant, site))).map(r -> hash(r).values().stream()
        .map(RedisStore::decodeSite)
        .sorted(Comparator.comparingLong(SiteVersion::version))
        .toList());
  }

  @Override
  public Future<List<SiteVersion>> listCurrent(String tenant) {
    return store.send(cmd(Command.HGETALL, store.tenantKey(tenant, CURRENT))).map(RedisSites::sortedSites);
  }

  private static List<SiteVersion> sortedSites(Response r) {
    return hash(r).values().stream()
        .map(RedisStore::decodeSite)
        .sorted(Comparator.comparing(SiteVersion::tenant).thenComparing(SiteVersion::site))
        .toList();
  }

  @Override
  public Future<List<SiteVersion>> listAllCurrent() {
    return store.send(cmd(Command.SMEMBERS, store.key(SITE_TENANTS))).compose(members -> {
      List<Request> reads = new ArrayList<>();
      for (String tenant : strings(members)) {
        if (Ids.isValid(tenant)) {
          reads.add(cmd(Command.HGETALL, store.tenantKey(tenant, CURRENT)));
        }
      }
      return store.batch(reads);
    }).map(replies -> {
      List<SiteVersion> out = new ArrayList<>();
      replies.forEach(r -> out.addAll(sortedSites(r)));
      out.sort(Comparator.comparing(SiteVersion::tenant).thenComparing(SiteVersion::site));
      return out;
    });
  }

  @Override
  public Future<Optional<HostBinding>> resolveHost(String hostname) {
    return store.send(cmd(Command.HGET, store.key(HOSTS), hostname)).map(r -> {
      String owner = str(r);
      if (owner == null) {
        return Optional.empty();
      }
      int slash = owner.indexOf('/');
      return Optional.of(new HostBinding(hostname, owner.substring(0, slash), owner.substring(slash + 1)));
    });
  }

  @Override
  public Future<Boolean> delete(String tenant, String site) {
    return store.eval(DELETE, keys(tenant, site), List.of(site, tenant + "/" + site, tenant))
        .map(r -> r.toLong() == 1);
  }

  @Override
  public Future<Long> changeEpoch() {
    return store.send(cmd(Command.GET, store.key(EPOCH))).map(r -> r == null ? 0L : r.toLong());
  }
}
