package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.ApiKeyStore;
import dev.kasoku.common.json.Json;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.h2.mvstore.MVMap;

/**
 * Keys in {@code t:<tenant>:apikeys} (id → JSON), plus the platform index {@code g:apikeys}
 * (id → tenant) that makes ids unique and lets a token be verified from its id alone.
 */
final class EmbeddedApiKeys implements ApiKeyStore {
  static final String KEYS = "apikeys";
  private final EmbeddedStore db;

  EmbeddedApiKeys(EmbeddedStore db) {
    this.db = db;
  }

  @Override
  public Future<Boolean> create(ApiKey key) {
    String json = Json.encode(key);
    return db.write(() -> {
      MVMap<String, String> index = db.map(EmbeddedStore.G_APIKEYS);
      if (index.putIfAbsent(key.id(), key.tenant()) != null) {
        return false;
      }
      db.<String, String>map(EmbeddedStore.tenantMap(key.tenant(), KEYS)).put(key.id(), json);
      return true;
    });
  }

  @Override
  public Future<Optional<ApiKey>> find(String id) {
    return db.read(() -> {
      MVMap<String, String> index = db.existing(EmbeddedStore.G_APIKEYS);
      String tenant = index == null ? null : index.get(id);
      if (tenant == null) {
        return Optional.empty();
      }
      MVMap<String, String> keys = db.existing(EmbeddedStore.tenantMap(tenant, KEYS));
      String json = keys == null ? null : keys.get(id);
      return Optional.ofNullable(json).map(j -> Json.decode(j, ApiKey.class));
    });
  }

  @Override
  public Future<List<ApiKey>> list(String tenant) {
    Ids.requireValid(tenant);
    return db.read(() -> {
      List<ApiKey> out = new ArrayList<>();
      for (Map.Entry<String, String> e : EmbeddedStore.<String>withPrefix(
          db.existing(EmbeddedStore.tenantMap(tenant, KEYS)), "")) {
        out.add(Json.decode(e.getValue(), ApiKey.class));
      }
      out.sort(Comparator.comparing(ApiKey::createdAt).thenComparing(ApiKey::id));
      return out;
    });
  }

  @Override
  public Future<Boolean> delete(String tenant, String id) {
    Ids.requireValid(tenant);
    return db.write(() -> {
      MVMap<String, String> keys = db.existing(EmbeddedStore.tenantMap(tenant, KEYS));
      if (keys == null || keys.remove(id) == null) {
        return false;
      }
      db.<String, String>map(EmbeddedStore.G_APIKEYS).remove(id, tenant);
      return true;
    });
  }
}
