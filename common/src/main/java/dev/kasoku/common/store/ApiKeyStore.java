package dev.kasoku.common.store;

import dev.kasoku.common.model.ApiKey;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** API keys, stored hashed, looked up by their platform-unique id (the visible prefix). */
public interface ApiKeyStore {

  /** Stores a key; {@code false} when the id already exists. */
  Future<Boolean> create(ApiKey key);

  /** Finds a key by id across all tenants (token verification starts from the id alone). */
  Future<Optional<ApiKey>> find(String id);

  /** The tenant's keys ordered by creation time. */
  Future<List<ApiKey>> list(String tenant);

  /** {@code false} when the tenant has no such key. */
  Future<Boolean> delete(String tenant, String id);
}
