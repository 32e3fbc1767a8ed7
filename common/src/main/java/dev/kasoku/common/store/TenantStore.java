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

  /**
   * Replaces the stored user with {@code replacement} only if it is still exactly {@code expected}
   * (compare-and-set); {@code false}, and nothing written, when it changed or went away meanwhile.
   * For writes computed from an earlier read that must not undo a change made since (a password
   * hash upgraded at login must not bring back a role or password an admin just changed).
   */
  Future<Boolean> replaceUser(User expected, User replacement);

  /** What {@link #updateUserKeepingAnAdmin} and {@link #deleteUserKeepingAnAdmin} did. */
  enum AdminGuard {
    DONE,
    /** No such user: nothing was written. */
    NOT_FOUND,
    /** The change would have left the tenant without an admin user: nothing was written. */
    LAST_ADMIN
  }

  /**
   * Replaces a stored user unless it is an admin, the replacement is not, and no other user of its
   * tenant is an admin. The check and the write are one atomic step (a Lua script, or the embedded
   * store's single writer), so two admins demoting each other at the same moment cannot both
   * succeed and leave the tenant with nobody to administer it.
   */
  Future<AdminGuard> updateUserKeepingAnAdmin(User user);

  /** Deletes a user unless it is its tenant's last admin; atomic like {@link #updateUserKeepingAnAdmin}. */
  Future<AdminGuard> deleteUserKeepingAnAdmin(String tenant, String username);
}
