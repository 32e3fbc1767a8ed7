package dev.kasoku.common.store;

import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.SiteVersion;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Site configuration with full version history, and the platform-wide hostname index.
 *
 * <p>{@link #put} is atomic: it checks every hostname, claims the new ones, releases the ones the
 * site no longer lists, stores version N+1 and bumps the change epoch, or does none of that. Two
 * concurrent puts that claim the same hostname: exactly one wins, the other fails with
 * {@link HostnameConflictException}.
 */
public interface SiteStore {

  /**
   * Stores a new current version of the site.
   *
   * @param hostnames normalised hostnames the version claims
   * @return the stored version; fails with {@link HostnameConflictException} when a hostname
   *     belongs to another site
   */
  Future<SiteVersion> put(String tenant, String site, List<String> hostnames, String configJson,
                          String author, Instant at);

  Future<Optional<SiteVersion>> current(String tenant, String site);

  Future<Optional<SiteVersion>> version(String tenant, String site, long version);

  /** Every stored version of the site, oldest first. */
  Future<List<SiteVersion>> versions(String tenant, String site);

  /** The current version of each of the tenant's sites, ordered by site id. */
  Future<List<SiteVersion>> listCurrent(String tenant);

  /** The current version of every site of every tenant (an edge loading its routing table). */
  Future<List<SiteVersion>> listAllCurrent();

  Future<Optional<HostBinding>> resolveHost(String hostname);

  /** Deletes the site and its history and releases its hostnames; {@code false} when absent. */
  Future<Boolean> delete(String tenant, String site);

  /**
   * A number that increases on every put and delete anywhere on the platform; edges poll it to
   * notice changes whose bus message they missed.
   */
  Future<Long> changeEpoch();
}
