package dev.kasoku.purge;

import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.ApiKeys;
import dev.kasoku.common.store.Store;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Tenants and their API keys, written straight to the store as the auth service would. */
final class TestTenants {
  private TestTenants() {}

  /** Creates the tenant and returns a new API key of the given role for it. */
  static String create(Store store, String tenant, TenantRole role) throws Exception {
    store.tenants().createTenant(new Tenant(tenant, tenant, "standard", List.of(), Instant.now()))
        .await(5, TimeUnit.SECONDS);
    ApiKeys.Generated key = ApiKeys.generate(tenant, "ci", role, Instant.now());
    store.apiKeys().create(key.stored()).await(5, TimeUnit.SECONDS);
    return key.key();
  }
}
