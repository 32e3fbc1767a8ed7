package dev.kasoku.common.store;

import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.User;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** Tenants and their users. */
public interface TenantStore {

  /** Creates the tenant; {@code false} when the id is taken. */
  Future<Boolean> createTenant(Tenant tenant);

  Future<Optional<Tenant>> getTenant(String id);

  Future<List<Tenant>> listTenants();

  /** Creates the user; {@code false} when the tenant already has that username. */
  Future<Boolean> createUser(User user);

  Future<Optional<User>> getUser(String tenant, String username);

  /** The tenant's users ordered by username. */
  Future<List<User>> listUsers(String tenant);

  /** Replaces a stored user; {@code false} when it does not exist. */
  Future<Boolean> updateUser(User user);

  /** {@code false} when it did not exist. */
  Future<Boolean> deleteUser(String tenant, String username);
}
