package dev.kasoku.common.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One stored version of a site's configuration.
 *
 * @param configJson the site config document as the config service validated it (docs/openapi.yaml, "Site
 *     config"); secrets inside it are already encrypted by the config service
 * @param hostnames the normalised hostnames this version claims (denormalised for the index)
 */
public record SiteVersion(String tenant, String site, long version, String author, Instant createdAt,
                          List<String> hostnames, String configJson) {
  public SiteVersion {
    Ids.requireValid(tenant);
    Ids.requireValid(site);
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(createdAt, "createdAt");
    hostnames = List.copyOf(hostnames);
    Objects.requireNonNull(configJson, "configJson");
  }
}
