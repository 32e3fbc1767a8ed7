package dev.kasoku.common.testing;

import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.store.Store;
import java.time.Instant;
import java.util.List;

/**
 * Credentials for tests of any service's API: every contract operation is behind the access gate,
 * so a test calling, say, the config API needs a key of the tenant with the right role. This writes
 * the tenant (if absent) and an API key straight into the store — the same records the auth service
 * would write — and returns the key to send as {@code Authorization: Bearer <key>}. Blocking: call it
 * from the test thread, not an event loop.
 */
public final class TestCredentials {
  private TestCredentials() {}

  public static String apiKey(Store store, String tenant, TenantRole role) {
    Instant now = Instant.now();
    Await.result(store.tenants().createTenant(new Tenant(tenant, tenant, "standard", List.of(), now)));
    ApiKeys.Generated key = ApiKeys.generate(tenant, "test " + role.id() + " key", role, now);
    if (!Await.result(store.apiKeys().create(key.stored()))) {
      throw new IllegalStateException("API key id collision");
    }
    return key.key();
  }
}
