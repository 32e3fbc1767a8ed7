package dev.kasoku.common.store.redis;

import static dev.kasoku.common.store.redis.RedisStore.cmd;
import static dev.kasoku.common.store.redis.RedisStore.hash;
import static dev.kasoku.common.store.redis.RedisStore.str;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.model.User;
import dev.kasoku.common.store.TenantStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Tenants in {@code <root>:tenants} (hash id → JSON); users in {@code <root>:t:<tenant>:users} (hash). */
final class RedisTenants implements TenantStore {
  static final String TENANTS = "tenants";
  static final String USERS = "users";
  private static final LuaScript REPLACE = new LuaScript("""
      -- KEYS[1] hash; ARGV[1] field; ARGV[2] value: set only when the field exists
      if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
      end
      return 0
      """);
  /*
   * KEYS[1] users hash; ARGV[1] username; ARGV[2] the new JSON, or '' to delete; ARGV[3] '1' when the
   * new user is an admin. Returns 0 no such user, 2 last admin (nothing written), 1 written. Roles
   * are read from the stored JSON ("role":"ADMIN", Jackson's enum name).
   */
  private static final LuaScript KEEPING_AN_ADMIN = new LuaScript("""
      local current = redis.call('HGET', KEYS[1], ARGV[1])
      if not current then
        return 0
      end
      if ARGV[3] ~= '1' and cjson.decode(current)['role'] == 'ADMIN' then
        local all = redis.call('HGETALL', KEYS[1])
        local another = false
        for i = 1, #all, 2 do
          if all[i] ~= ARGV[1] and cjson.decode(all[i + 1])['role'] == 'ADMIN' then
            another = true
            break
          end
        end
        if not another then
          return 2
        end
      end
      if ARGV[2] == '' then
        redis.call('HDEL', KEYS[1], ARGV[1])
      else
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
      end
      return 1
      """);
  private static final LuaScript COMPARE_AND_SET = new LuaScript("""
      -- KEYS[1] hash; ARGV[1] field; ARGV[2] expected value; ARGV[3] new value
      if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1
      end
      return 0
      """);
  private final RedisStore store;

  RedisTenants(RedisStore store) {
    this.store = store;
  }

  @Override
  public Future<Boolean> createTenant(Tenant tenant) {
    return store.send(cmd(Command.HSETNX, store.key(TENANTS), tenant.id(), Json.encode(tenant)))
        .map(r -> r.toLong() == 1);
  }

  @Override
  public Future<Optional<Tenant>> getTenant(String id) {
    return store.send(cmd(Command.HGET, store.key(TENANTS), id))
        .map(r -> Optional.ofNullable(str(r)).map(j -> Json.decode(j, Tenant.class)));
  }

  @Override
  public Future<List<Tenant>> listTenants() {
    return store.send(cmd(Command.HGETALL, store.key(TENANTS))).map(r -> hash(r).values().stream()
        .map(j -> Json.decode(j, Tenant.class))
        .sorted(Comparator.comparing(Tenant::id))
        .toList());
  }

  @Override
  public Future<Boolean> createUser(User user) {
    return store.send(cmd(Command.HSETNX, store.tenantKey(user.tenant(), USERS), user.username(),
        Json.encode(user))).map(r -> r.toLong() == 1);
  }

  @Override
  public Future<Optional<User>> getUser(String tenant, String username) {
    return store.send(cmd(Command.HGET, store.tenantKey(tenant, USERS), username))
        .map(r -> Optional.ofNullable(str(r)).map(j -> Json.decode(j, User.class)));
  }

  @Override
  public Future<List<User>> listUsers(String tenant) {
    return store.send(cmd(Command.HGETALL, store.tenantKey(tenant, USERS))).map(r -> hash(r).values().stream()
        .map(j -> Json.decode(j, User.class))
        .sorted(Comparator.comparing(User::username))
        .toList());
  }

  @Override
  public Future<Boolean> updateUser(User user) {
    return store.eval(REPLACE, List.of(store.tenantKey(user.tenant(), USERS)),
        List.of(user.username(), Json.encode(user))).map(r -> r.toLong() == 1);
  }

  @Override
  public Future<Boolean> replaceUser(User expected, User replacement) {
    return store.eval(COMPARE_AND_SET, List.of(store.tenantKey(expected.tenant(), USERS)),
        List.of(expected.username(), Json.encode(expected), Json.encode(replacement))).map(r -> r.toLong() == 1);
  }

  @Override
  public Future<AdminGuard> updateUserKeepingAnAdmin(User user) {
    return store.eval(KEEPING_AN_ADMIN, List.of(store.tenantKey(user.tenant(), USERS)),
        List.of(user.username(), Json.encode(user), user.role() == TenantRole.ADMIN ? "1" : "0"))
        .map(r -> guard(r.toLong()));
  }

  @Override
  public Future<AdminGuard> deleteUserKeepingAnAdmin(String tenant, String username) {
    Ids.requireValid(tenant);
    return store.eval(KEEPING_AN_ADMIN, List.of(store.tenantKey(tenant, USERS)), List.of(username, "", "0"))
        .map(r -> guard(r.toLong()));
  }

  private static AdminGuard guard(long code) {
    return code == 1 ? AdminGuard.DONE : code == 2 ? AdminGuard.LAST_ADMIN : AdminGuard.NOT_FOUND;
  }

  @Override
  public Future<Boolean> deleteUser(String tenant, String username) {
    Ids.requireValid(tenant);
    return store.send(cmd(Command.HDEL, store.tenantKey(tenant, USERS), username)).map(r -> r.toLong() == 1);
  }
}
