package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.model.User;
import dev.kasoku.common.store.TenantStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.h2.mvstore.MVMap;

/** Tenants in {@code g:tenants} (id → JSON); users in {@code t:<tenant>:users} (username → JSON). */
final class EmbeddedTenants implements TenantStore {
  static final String USERS = "users";
  private final EmbeddedStore db;

  EmbeddedTenants(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<Boolean> createTenant(Tenant tenant) {
    String json = Json.encode(tenant);
    return db.write(() -> db.<String, String>map(EmbeddedStore.G_TENANTS).putIfAbsent(tenant.id(), json) == null);
  }

  @Override
  public Future<Optional<Tenant>> getTenant(String id) {
    return db.read(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.G_TENANTS);
      String json = m == null ? null : m.get(id);
      return Optional.ofNullable(json).map(j -> Json.decode(j, Tenant.class));
    });
  }

  @Override
  public Future<List<Tenant>> listTenants() {
    return db.read(() -> {
      List<Tenant> out = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(db.existing(EmbeddedStore.G_TENANTS), "")) {
        out.add(Json.decode(e.getValue(), Tenant.class));
      }
      return out;
    });
  }

  @Override
  public Future<Boolean> createUser(User user) {
    String json = Json.encode(user);
    return db.write(() -> users(user.tenant()).putIfAbsent(user.username(), json) == null);
  }

  @Override
  public Future<Optional<User>> getUser(String tenant, String username) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.tenantMap(tenant, USERS));
      String json = m == null ? null : m.get(username);
      return Optional.ofNullable(json).map(j -> Json.decode(j, User.class));
    });
  }

  @Override
  public Future<List<User>> listUsers(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      List<User> out = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(
          db.existing(EmbeddedStore.tenantMap(tenant, USERS)), "")) {
        out.add(Json.decode(e.getValue(), User.class));
      }
      return out;
    });
  }

  @Override
  public Future<Boolean> updateUser(User user) {
    String json = Json.encode(user);
    return db.write(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.tenantMap(user.tenant(), USERS));
      return m != null && m.replace(user.username(), json) != null;
    });
  }

  @Override
  public Future<Boolean> deleteUser(String tenant, String username) {
    Ids.requireValid(tenant);
    return db.write(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.tenantMap(tenant, USERS));
      return m != null && m.remove(username) != null;
    });
  }

  @Override
  public Future<Boolean> replaceUser(User expected, User replacement) {
    String before = Json.encode(expected);
    String after = Json.encode(replacement);
    return db.write(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.tenantMap(expected.tenant(), USERS));
      return m != null && m.replace(expected.username(), before, after);
    });
  }

  @Override
  public Future<AdminGuard> updateUserKeepingAnAdmin(User user) {
    String json = Json.encode(user);
    return keepingAnAdmin(user.tenant(), user.username(), user.role() == TenantRole.ADMIN,
        m -> m.put(user.username(), json));
  }

  @Override
  public Future<AdminGuard> deleteUserKeepingAnAdmin(String tenant, String username) {
    Ids.requireValid(tenant);
    return keepingAnAdmin(tenant, username, false, m -> m.remove(username));
  }

  /** Runs {@code change} on the tenant's users unless it would remove the tenant's last admin. */
  private Future<AdminGuard> keepingAnAdmin(String tenant, String username, boolean staysAdmin,
                                            Consumer<MVMap<String, String>> change) {
    return db.write(() -> {
      MVMap<String, String> m = db.existing(EmbeddedStore.tenantMap(tenant, USERS));
      String current = m == null ? null : m.get(username);
      if (current == null) {
        return AdminGuard.NOT_FOUND;
      }
      if (!staysAdmin && isAdmin(current) && !anotherAdmin(m, username)) {
        return AdminGuard.LAST_ADMIN;
      }
      change.accept(m);
      return AdminGuard.DONE;
    });
  }

  // runs on the single writer: no other write can come between this read and the caller's write
  private static boolean anotherAdmin(MVMap<String, String> users, String except) {
    for (Map.Entry<String, String> e : users.entrySet()) {
      if (!e.getKey().equals(except) && isAdmin(e.getValue())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAdmin(String json) {
    return Json.decode(json, User.class).role() == TenantRole.ADMIN;
  }

  private MVMap<String, String> users(String tenant) {
    return db.map(EmbeddedStore.tenantMap(tenant, USERS));
  }
}
