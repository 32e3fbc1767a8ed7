package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;

import dev.kasoku.common.json.Json;
import dev.kasoku.common.model.EdgeMember;
import dev.kasoku.common.store.EdgeMemberStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code <root>:edges} (hash node → member JSON) and {@code <root>:edges:leases} (sorted set node →
 * lease expiry in epoch ms). A record writes both and drops every member whose lease is past in the
 * same script, so a dropped member can never be one that has just renewed; reads filter on the
 * expiry again, so a member whose lease ran out since the last record is not live either.
 */
final class RedisEdgeMembers implements EdgeMemberStore {
  static final String MEMBERS = "edges";
  static final String LEASES = "edges:leases";
  private static final LuaScript RECORD = new LuaScript("""
      -- KEYS[1] members, KEYS[2] leases; ARGV[1] node, ARGV[2] json, ARGV[3] expiry ms, ARGV[4] now ms
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
      local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
      for _, node in ipairs(dead) do
        redis.call('ZREM', KEYS[2], node)
        redis.call('HDEL', KEYS[1], node)
      end
      return #dead
      """);
  private static final LuaScript REMOVE = new LuaScript("""
      -- KEYS[1] members, KEYS[2] leases; ARGV[1] node
      redis.call('ZREM', KEYS[2], ARGV[1])
      return redis.call('HDEL', KEYS[1], ARGV[1])
      """);
  private static final System.Logger LOG = System.getLogger(RedisEdgeMembers.class.getName());
  private final RedisStore store;

  RedisEdgeMembers(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Void> record(EdgeMember member) {
    return store.eval(RECORD, List.of(store.key(MEMBERS), store.key(LEASES)), List.of(member.node(),
        Json.encode(member), Long.toString(member.expiresAt().toEpochMilli()),
        Long.toString(store.clock().millis()))).mapEmpty();
  }

  @Override
  public Future<List<EdgeMember>> live() {
    return store.send(cmd(Command.HGETALL, store.key(MEMBERS))).map(this::decodeLive);
  }

  private List<EdgeMember> decodeLive(Response r) {
    List<EdgeMember> live = new ArrayList<>();
    if (r != null) {
      java.time.Instant now = store.clock().instant();
      for (String node : r.getKeys()) {
        EdgeMember m;
        try {
          m = Json.decode(r.get(node).toString(), EdgeMember.class);
        } catch (RuntimeException e) {
          // one entry this version cannot read must not hide every other member
          LOG.log(System.Logger.Level.WARNING, "edge table entry of " + node + " skipped: " + e.getMessage());
          continue;
        }
        if (m.liveAt(now)) {
          live.add(m);
        }
      }
    }
    live.sort(Comparator.comparing(EdgeMember::node));
    return List.copyOf(live);
  }

  @Override
  public Future<Void> remove(String node) {
    return store.eval(REMOVE, List.of(store.key(MEMBERS), store.key(LEASES)), List.of(node)).mapEmpty();
  }
}
