package dev.kasoku.common.store;

import static dev.kasoku.common.testing.Await.failure;
import static dev.kasoku.common.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.PurgeScope;
import dev.kasoku.common.model.ApiKey;
import dev.kasoku.common.model.AuditRecord;
import dev.kasoku.common.store.AuditStore.Head;
import dev.kasoku.common.model.HostBinding;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.Notification;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.model.Tenant;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.model.User;
import dev.kasoku.common.testing.MutableClock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} implementation must have, run once per implementation by a
 * subclass ({@code EmbeddedStoreContractTest}, {@code RedisStoreContractTest}). Each test gets a
 * fresh, empty store and random tenant ids; the subclass opens the store and removes everything it
 * wrote afterwards.
 */
public abstract class StoreContractTest {
  protected static Vertx vertx;
  protected Store store;
  protected String tenantA;
  protected String tenantB;
  protected final Instant t0 = Instant.parse("2026-11-25T10:00:00Z");

  /**
   * Opens a new, empty store whose time is {@code clock} (blocking is fine: this runs on the JUnit
   * thread). Every store opened is cleaned up by {@link #cleanUp}.
   */
  protected abstract Store openStore(Vertx vertx, Clock clock);

  /** Opens a new, empty store on the system clock. */
  protected Store openStore(Vertx vertx) {
    return openStore(vertx, Clock.systemUTC());
  }

  /** Replaces this test's store by a new, empty one on the given clock. */
  protected void reopenWith(Clock clock) {
    result(store.close());
    store = openStore(vertx, clock);
  }

  /** Removes everything the test wrote; the store is already closed. */
  protected abstract void cleanUp();

  /**
   * What is left in the tenant's namespace of the backend (Redis keys matching
   * {@code <root>:t:<tenant>:*}, embedded map names {@code t:<tenant>:*}).
   */
  protected abstract List<String> namespaceOf(String tenant);

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    result(vertx.close());
  }

  @BeforeEach
  void open() {
    store = openStore(vertx);
    tenantA = "ta-" + Ids.random(8);
    tenantB = "tb-" + Ids.random(8);
  }

  @AfterEach
  void close() {
    if (store != null) {
      result(store.close());
    }
    cleanUp();
  }

  // --- fixtures -------------------------------------------------------------------------------

  protected Tenant tenant(String id) {
    return new Tenant(id, "Tenant " + id, "standard", List.of("waf"), t0);
  }

  protected User user(String tenant, String username, long credentialsVersion) {
    return new User(tenant, username, TenantRole.EDITOR, "$argon2id$x", credentialsVersion, t0, t0);
  }

  protected ApiKey key(String tenant, String id, Instant createdAt) {
    return new ApiKey(id, tenant, "key " + id, TenantRole.PURGER, "sha256:" + id, createdAt);
  }

  protected PurgeRecord purge(String tenant, String target) {
    return new PurgeRecord(0, "p-" + Ids.random(6), tenant, PurgeScope.URL, List.of(target), false, "alice", t0);
  }

  protected Notification note(String tenant, int n) {
    return new Notification("n" + n, tenant, t0.plusSeconds(n), "config.changed", "change " + n);
  }

  protected SiteVersion putSite(String tenant, String site, String... hosts) {
    return result(store.sites().put(tenant, site, List.of(hosts), "{\"site\":\"" + site + "\"}", "alice", t0));
  }

  protected String host(String name) {
    return name + "-" + tenantA + ".example";
  }

  // --- store ----------------------------------------------------------------------------------

  @Test
  void pingSucceedsWhileTheBackendIsUp() {
    result(store.ping());
    assertThat(store.kind()).isIn("redis", "embedded");
  }

  @Test
  void futuresCompleteOnTheCallersContext() {
    Context ctx = vertx.getOrCreateContext();
    Promise<Boolean> sameContext = Promise.promise();
    ctx.runOnContext(v -> store.tenants().createTenant(tenant(tenantA))
        .onComplete(ar -> sameContext.complete(Vertx.currentContext() == ctx)));
    assertThat(result(sameContext.future())).isTrue();
  }

  // --- tenants and users ----------------------------------------------------------------------

  @Test
  void createTenantStoresItAndRefusesADuplicateId() {
    assertThat(result(store.tenants().createTenant(tenant(tenantA)))).isTrue();
    assertThat(result(store.tenants().createTenant(new Tenant(tenantA, "other", "free", List.of(), t0)))).isFalse();
    assertThat(result(store.tenants().getTenant(tenantA))).contains(tenant(tenantA));
  }

  @Test
  void getTenantOfAnUnknownIdIsEmpty() {
    assertThat(result(store.tenants().getTenant("nobody-" + Ids.random(6)))).isEmpty();
  }

  @Test
  void listTenantsReturnsEveryTenantOrderedById() {
    result(store.tenants().createTenant(tenant(tenantB)));
    result(store.tenants().createTenant(tenant(tenantA)));
    assertThat(result(store.tenants().listTenants())).containsExactly(tenant(tenantA), tenant(tenantB));
  }

  @Test
  void createUserRefusesADuplicateUsernameWithinOneTenantOnly() {
    assertThat(result(store.tenants().createUser(user(tenantA, "alice", 1)))).isTrue();
    assertThat(result(store.tenants().createUser(user(tenantA, "alice", 2)))).isFalse();
    assertThat(result(store.tenants().createUser(user(tenantB, "alice", 3)))).isTrue();
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).contains(user(tenantA, "alice", 1));
    assertThat(result(store.tenants().getUser(tenantB, "alice"))).contains(user(tenantB, "alice", 3));
    assertThat(result(store.tenants().getUser(tenantA, "bob"))).isEmpty();
  }

  @Test
  void listUsersIsOrderedByUsername() {
    for (String name : List.of("carol", "alice", "bob")) {
      result(store.tenants().createUser(user(tenantA, name, 1)));
    }
    assertThat(result(store.tenants().listUsers(tenantA))).extracting(User::username)
        .containsExactly("alice", "bob", "carol");
    assertThat(result(store.tenants().listUsers(tenantB))).isEmpty();
  }

  @Test
  void updateUserReplacesAnExistingUserAndRefusesAnUnknownOne() {
    result(store.tenants().createUser(user(tenantA, "alice", 1)));
    assertThat(result(store.tenants().updateUser(user(tenantA, "alice", 2)))).isTrue();
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).map(User::credentialsVersion).contains(2L);
    assertThat(result(store.tenants().updateUser(user(tenantA, "bob", 1)))).isFalse();
    assertThat(result(store.tenants().getUser(tenantA, "bob"))).isEmpty();
  }

  @Test
  void deleteUserReportsWhetherItExisted() {
    result(store.tenants().createUser(user(tenantA, "alice", 1)));
    assertThat(result(store.tenants().deleteUser(tenantA, "alice"))).isTrue();
    assertThat(result(store.tenants().deleteUser(tenantA, "alice"))).isFalse();
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).isEmpty();
  }

  @Test
  void replaceUserWritesOnlyOverTheVersionItWasComputedFrom() {
    User read = withRole(tenantA, "alice", TenantRole.EDITOR);
    result(store.tenants().createUser(read));
    User changedMeanwhile = new User(tenantA, "alice", TenantRole.VIEWER, "$argon2id$new", 2, t0, t0);
    result(store.tenants().updateUser(changedMeanwhile));

    User upgraded = new User(tenantA, "alice", TenantRole.EDITOR, "$argon2id$rehashed", 1, t0, t0);
    assertThat(result(store.tenants().replaceUser(read, upgraded))).isFalse();
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).contains(changedMeanwhile);

    User upgradedCurrent = new User(tenantA, "alice", TenantRole.VIEWER, "$argon2id$rehashed", 2, t0, t0);
    assertThat(result(store.tenants().replaceUser(changedMeanwhile, upgradedCurrent))).isTrue();
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).contains(upgradedCurrent);
    assertThat(result(store.tenants().replaceUser(withRole(tenantA, "zed", TenantRole.EDITOR), upgraded))).isFalse();
  }

  private User withRole(String tenant, String username, TenantRole role) {
    return new User(tenant, username, role, "$argon2id$x", 1, t0, t0);
  }

  @Test
  void theLastAdminCanBeNeitherDemotedNorDeleted() {
    result(store.tenants().createUser(withRole(tenantA, "alice", TenantRole.ADMIN)));
    result(store.tenants().createUser(withRole(tenantA, "bob", TenantRole.EDITOR)));
    result(store.tenants().createUser(withRole(tenantB, "carol", TenantRole.ADMIN))); // another tenant's admin

    assertThat(result(store.tenants().updateUserKeepingAnAdmin(withRole(tenantA, "alice", TenantRole.VIEWER))))
        .isEqualTo(TenantStore.AdminGuard.LAST_ADMIN);
    assertThat(result(store.tenants().deleteUserKeepingAnAdmin(tenantA, "alice")))
        .isEqualTo(TenantStore.AdminGuard.LAST_ADMIN);
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).map(User::role).contains(TenantRole.ADMIN);

    // changes that keep an admin go through: a non-admin's role, the admin's own password
    assertThat(result(store.tenants().updateUserKeepingAnAdmin(withRole(tenantA, "bob", TenantRole.VIEWER))))
        .isEqualTo(TenantStore.AdminGuard.DONE);
    assertThat(result(store.tenants().updateUserKeepingAnAdmin(
        new User(tenantA, "alice", TenantRole.ADMIN, "$argon2id$y", 2, t0, t0))))
        .isEqualTo(TenantStore.AdminGuard.DONE);
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).map(User::credentialsVersion).contains(2L);

    // with a second admin, the first may go
    assertThat(result(store.tenants().updateUserKeepingAnAdmin(withRole(tenantA, "bob", TenantRole.ADMIN))))
        .isEqualTo(TenantStore.AdminGuard.DONE);
    assertThat(result(store.tenants().deleteUserKeepingAnAdmin(tenantA, "alice")))
        .isEqualTo(TenantStore.AdminGuard.DONE);
    assertThat(result(store.tenants().getUser(tenantA, "alice"))).isEmpty();

    assertThat(result(store.tenants().updateUserKeepingAnAdmin(withRole(tenantA, "zed", TenantRole.ADMIN))))
        .isEqualTo(TenantStore.AdminGuard.NOT_FOUND);
    assertThat(result(store.tenants().deleteUserKeepingAnAdmin(tenantA, "zed")))
        .isEqualTo(TenantStore.AdminGuard.NOT_FOUND);
    assertThat(result(store.tenants().getUser(tenantA, "zed"))).isEmpty();
  }

  /**
   * Regression: the last-admin check used to read the user list, then write. Two admins demoting
   * (or deleting) each other at the same moment could both pass the check and leave the tenant
   * with no admin. Now exactly one of them wins, every time.
   */
  @Test
  void twoAdminsRemovingEachOtherAtOnceLeaveOneAdmin() {
    for (int round = 0; round < 20; round++) {
      String a = "a" + round;
      String b = "b" + round;
      String tenant = round % 2 == 0 ? tenantA : tenantB;
      for (User u : result(store.tenants().listUsers(tenant))) {
        result(store.tenants().deleteUser(tenant, u.username()));
      }
      result(store.tenants().createUser(withRole(tenant, a, TenantRole.ADMIN)));
      result(store.tenants().createUser(withRole(tenant, b, TenantRole.ADMIN)));

      Future<TenantStore.AdminGuard> first = store.tenants().updateUserKeepingAnAdmin(withRole(tenant, a, TenantRole.EDITOR));
      Future<TenantStore.AdminGuard> second = round % 4 < 2
          ? store.tenants().updateUserKeepingAnAdmin(withRole(tenant, b, TenantRole.VIEWER))
          : store.tenants().deleteUserKeepingAnAdmin(tenant, b);

      assertThat(List.of(result(first), result(second)))
          .containsExactlyInAnyOrder(TenantStore.AdminGuard.DONE, TenantStore.AdminGuard.LAST_ADMIN);
      assertThat(result(store.tenants().listUsers(tenant)).stream().filter(u -> u.role() == TenantRole.ADMIN))
          .hasSize(1);
    }
  }

  // --- API keys -------------------------------------------------------------------------------

  @Test
  void apiKeyIdsAreUniqueAcrossTenants() {
    String id = "kk" + Ids.random(10);
    assertThat(result(store.apiKeys().create(key(tenantA, id, t0)))).isTrue();
    assertThat(result(store.apiKeys().create(key(tenantB, id, t0)))).isFalse();
    assertThat(result(store.apiKeys().list(tenantB))).isEmpty();
  }

  @Test
  void findLocatesAKeyByItsIdAlone() {
    String id = "kk" + Ids.random(10);
    result(store.apiKeys().create(key(tenantB, id, t0)));
    assertThat(result(store.apiKeys().find(id))).contains(key(tenantB, id, t0));
    assertThat(result(store.apiKeys().find("kk-unknown"))).isEmpty();
  }

  @Test
  void listApiKeysIsOrderedByCreationTime() {
    result(store.apiKeys().create(key(tenantA, "kk-c" + tenantA, t0.plusSeconds(1))));
    result(store.apiKeys().create(key(tenantA, "kk-a" + tenantA, t0.plusSeconds(3))));
    result(store.apiKeys().create(key(tenantA, "kk-b" + tenantA, t0.plusSeconds(2))));
    assertThat(result(store.apiKeys().list(tenantA))).extracting(ApiKey::id)
        .containsExactly("kk-c" + tenantA, "kk-b" + tenantA, "kk-a" + tenantA);
  }

  @Test
  void deleteApiKeyDeletesOnlyTheTenantsOwnKey() {
    String id = "kk" + Ids.random(10);
    result(store.apiKeys().create(key(tenantA, id, t0)));
    assertThat(result(store.apiKeys().delete(tenantB, id))).isFalse();
    assertThat(result(store.apiKeys().find(id))).isPresent();
    assertThat(result(store.apiKeys().delete(tenantA, id))).isTrue();
    assertThat(result(store.apiKeys().find(id))).isEmpty();
    assertThat(result(store.apiKeys().list(tenantA))).isEmpty();
    // the id is free again
    assertThat(result(store.apiKeys().create(key(tenantB, id, t0)))).isTrue();
  }

  // --- sites ----------------------------------------------------------------------------------

  @Test
  void putStoresIncreasingVersionsAndKeepsTheHistory() {
    SiteVersion v1 = putSite(tenantA, "www", host("a"));
    SiteVersion v2 = result(store.sites().put(tenantA, "www", List.of(host("a")), "{\"v\":2}", "bob", t0.plusSeconds(5)));
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.author()).isEqualTo("bob");
    assertThat(result(store.sites().current(tenantA, "www"))).contains(v2);
    assertThat(result(store.sites().version(tenantA, "www", 1))).contains(v1);
    assertThat(result(store.sites().version(tenantA, "www", 3))).isEmpty();
    assertThat(result(store.sites().versions(tenantA, "www"))).containsExactly(v1, v2);
  }

  @Test
  void unknownSiteHasNoCurrentVersionAndNoHistory() {
    assertThat(result(store.sites().current(tenantA, "nope"))).isEmpty();
    assertThat(result(store.sites().version(tenantA, "nope", 1))).isEmpty();
    assertThat(result(store.sites().versions(tenantA, "nope"))).isEmpty();
    assertThat(result(store.sites().delete(tenantA, "nope"))).isFalse();
  }

  @Test
  void putClaimsItsHostnamesAndResolveHostFindsTheSite() {
    putSite(tenantA, "www", host("a"), host("b"));
    assertThat(result(store.sites().resolveHost(host("a")))).contains(new HostBinding(host("a"), tenantA, "www"));
    assertThat(result(store.sites().resolveHost(host("b")))).contains(new HostBinding(host("b"), tenantA, "www"));
    assertThat(result(store.sites().resolveHost(host("c")))).isEmpty();
  }

  @Test
  void putReleasesHostnamesTheNewVersionNoLongerLists() {
    putSite(tenantA, "www", host("a"), host("b"));
    putSite(tenantA, "www", host("b"), host("c"));
    assertThat(result(store.sites().resolveHost(host("a")))).isEmpty();
    assertThat(result(store.sites().resolveHost(host("b")))).map(HostBinding::site).contains("www");
    assertThat(result(store.sites().resolveHost(host("c")))).map(HostBinding::site).contains("www");
    // the released name can be claimed by someone else
    putSite(tenantB, "shop", host("a"));
    assertThat(result(store.sites().resolveHost(host("a")))).map(HostBinding::tenant).contains(tenantB);
  }

  @Test
  void putRefusingAHostnameHeldByAnotherSiteChangesNothing() {
    putSite(tenantA, "www", host("a"));
    putSite(tenantB, "shop", host("x"));
    long epoch = result(store.sites().changeEpoch());
    Throwable e = failure(store.sites().put(tenantB, "shop", List.of(host("y"), host("a")), "{}", "eve", t0));
    assertThat(e).isInstanceOf(HostnameConflictException.class);
    assertThat(((HostnameConflictException) e).hostname()).isEqualTo(host("a"));
    // nothing of the refused put is visible: no claim, no version, no release, no epoch bump
    assertThat(result(store.sites().resolveHost(host("y")))).isEmpty();
    assertThat(result(store.sites().resolveHost(host("x")))).map(HostBinding::tenant).contains(tenantB);
    assertThat(result(store.sites().resolveHost(host("a")))).map(HostBinding::tenant).contains(tenantA);
    assertThat(result(store.sites().versions(tenantB, "shop"))).hasSize(1);
    assertThat(result(store.sites().changeEpoch())).isEqualTo(epoch);
    // another site of the same tenant may not take it either
    assertThat(failure(store.sites().put(tenantA, "blog", List.of(host("a")), "{}", "eve", t0)))
        .isInstanceOf(HostnameConflictException.class);
  }

  @Test
  void concurrentPutsClaimingOneHostnameExactlyOneWins() {
    int contenders = 8;
    String contested = host("contested");
    List<Future<SiteVersion>> puts = new ArrayList<>();
    for (int i = 0; i < contenders; i++) {
      String tenant = i % 2 == 0 ? tenantA : tenantB;
      puts.add(store.sites().put(tenant, "s" + i, List.of(contested, host("own" + i)), "{}", "c" + i, t0));
    }
    List<Throwable> failures = new ArrayList<>();
    List<SiteVersion> winners = new ArrayList<>();
    for (Future<SiteVersion> f : puts) {
      try {
        winners.add(result(f));
      } catch (HostnameConflictException e) {
        failures.add(e);
      }
    }
    assertThat(winners).hasSize(1);
    assertThat(failures).hasSize(contenders - 1);
    SiteVersion winner = winners.get(0);
    assertThat(result(store.sites().resolveHost(contested)))
        .contains(new HostBinding(contested, winner.tenant(), winner.site()));
    // losers claimed none of their other names either
    for (int i = 0; i < contenders; i++) {
      Optional<HostBinding> own = result(store.sites().resolveHost(host("own" + i)));
      assertThat(own.isPresent()).isEqualTo(("s" + i).equals(winner.site()));
    }
  }

  @Test
  void listCurrentReturnsTheTenantsSitesOrderedById() {
    putSite(tenantA, "zeta", host("z"));
    SiteVersion alpha1 = putSite(tenantA, "alpha", host("a1"));
    SiteVersion alpha2 = putSite(tenantA, "alpha", host("a2"));
    SiteVersion zeta = result(store.sites().current(tenantA, "zeta")).orElseThrow();
    putSite(tenantB, "other", host("o"));
    assertThat(result(store.sites().listCurrent(tenantA))).containsExactly(alpha2, zeta);
    assertThat(alpha1.version()).isEqualTo(1);
  }

  @Test
  void listAllCurrentReturnsTheCurrentVersionOfEverySiteOfEveryTenant() {
    putSite(tenantA, "one", host("1"));
    SiteVersion one = putSite(tenantA, "one", host("1b"));
    SiteVersion two = putSite(tenantB, "two", host("2"));
    assertThat(result(store.sites().listAllCurrent())).containsExactlyInAnyOrder(one, two);
  }

  @Test
  void deleteSiteRemovesItsHistoryAndReleasesItsHostnames() {
    putSite(tenantA, "www", host("a"));
    putSite(tenantA, "www", host("b"));
    putSite(tenantA, "blog", host("c"));
    assertThat(result(store.sites().delete(tenantA, "www"))).isTrue();
    assertThat(result(store.sites().current(tenantA, "www"))).isEmpty();
    assertThat(result(store.sites().versions(tenantA, "www"))).isEmpty();
    assertThat(result(store.sites().resolveHost(host("b")))).isEmpty();
    assertThat(result(store.sites().resolveHost(host("c")))).isPresent();
    assertThat(result(store.sites().listCurrent(tenantA))).extracting(SiteVersion::site).containsExactly("blog");
    // a re-created site starts a new history
    assertThat(putSite(tenantA, "www", host("b")).version()).isEqualTo(1);
  }

  @Test
  void changeEpochIncreasesOnEveryPutAndDelete() {
    long e0 = result(store.sites().changeEpoch());
    putSite(tenantA, "www", host("a"));
    long e1 = result(store.sites().changeEpoch());
    putSite(tenantA, "www", host("a"));
    long e2 = result(store.sites().changeEpoch());
    result(store.sites().delete(tenantA, "www"));
    long e3 = result(store.sites().changeEpoch());
    assertThat(e1).isGreaterThan(e0);
    assertThat(e2).isGreaterThan(e1);
    assertThat(e3).isGreaterThan(e2);
  }

  // --- purge log ------------------------------------------------------------------------------

  @Test
  void lastSeqIsZeroForAnEmptyLog() {
    assertThat(result(store.purgeLog().lastSeq())).isZero();
    assertThat(result(store.purgeLog().readAfter(0, 10))).isEmpty();
  }

  @Test
  void purgeSequenceIsAssignedStrictlyIncreasingEvenUnderConcurrentAppends() {
    List<Future<PurgeRecord>> appends = IntStream.range(0, 40)
        .mapToObj(i -> store.purgeLog().append(purge(i % 2 == 0 ? tenantA : tenantB, "/p" + i)))
        .toList();
    List<Long> seqs = appends.stream().map(f -> result(f).seq()).sorted().toList();
    assertThat(seqs).doesNotHaveDuplicates();
    assertThat(seqs).containsExactlyElementsOf(LongStreamRange.closed(1, 40));
    assertThat(result(store.purgeLog().lastSeq())).isEqualTo(40);
    PurgeRecord next = result(store.purgeLog().append(purge(tenantA, "/last")));
    assertThat(next.seq()).isEqualTo(41);
  }

  @Test
  void readAfterPagesThroughTheLogOldestFirst() {
    List<PurgeRecord> written = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      written.add(result(store.purgeLog().append(purge(tenantA, "/p" + i))));
    }
    List<PurgeRecord> read = new ArrayList<>();
    long after = 0;
    while (true) {
      List<PurgeRecord> page = result(store.purgeLog().readAfter(after, 3));
      if (page.isEmpty()) {
        break;
      }
      assertThat(page.size()).isLessThanOrEqualTo(3);
      read.addAll(page);
      after = page.get(page.size() - 1).seq();
    }
    assertThat(read).containsExactlyElementsOf(written);
    assertThat(read.get(2).targets()).containsExactly("/p2");
    assertThat(result(store.purgeLog().readAfter(written.get(4).seq(), 100)))
        .containsExactlyElementsOf(written.subList(5, 7));
  }

  @Test
  void trimKeepsTheNewestEntriesAndSaysHowFarItDropped() {
    List<PurgeRecord> written = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      written.add(result(store.purgeLog().append(purge(i % 2 == 0 ? tenantA : tenantB, "/p" + i))));
    }
    assertThat(result(store.purgeLog().trimmedThrough())).isZero();

    assertThat(result(store.purgeLog().trim(4))).isEqualTo(6);

    assertThat(result(store.purgeLog().readAfter(0, 100))).containsExactlyElementsOf(written.subList(6, 10));
    assertThat(result(store.purgeLog().trimmedThrough())).isEqualTo(written.get(5).seq());
    assertThat(result(store.purgeLog().lastSeq())).isEqualTo(written.get(9).seq());
    assertThat(result(store.purgeLog().trim(4))).isZero();
    assertThat(result(store.purgeLog().trimmedThrough())).isEqualTo(written.get(5).seq());
    // sequences continue after a trim
    assertThat(result(store.purgeLog().append(purge(tenantA, "/next"))).seq()).isEqualTo(written.get(9).seq() + 1);
  }

  @Test
  void trimAlwaysKeepsAtLeastTheNewestEntry() {
    result(store.purgeLog().append(purge(tenantA, "/a")));
    PurgeRecord newest = result(store.purgeLog().append(purge(tenantA, "/b")));

    assertThat(failure(store.purgeLog().trim(0))).isInstanceOf(IllegalArgumentException.class);
    assertThat(result(store.purgeLog().trim(1))).isEqualTo(1);
    assertThat(result(store.purgeLog().readAfter(0, 10))).containsExactly(newest);
  }

  /** Erased purges concern nobody any more: an edge behind them has not missed anything it can act on. */
  @Test
  void erasingATenantDoesNotCountAsTrimming() {
    result(store.purgeLog().append(purge(tenantA, "/a")));
    result(store.purgeLog().append(purge(tenantB, "/b")));
    result(store.eraseTenant(tenantA));

    assertThat(result(store.purgeLog().trimmedThrough())).isZero();
    assertThat(result(store.purgeLog().readAfter(0, 10))).extracting(PurgeRecord::tenant).containsExactly(tenantB);
  }

  // --- purge statuses -------------------------------------------------------------------------

  @Test
  void purgeStatusIsReadBackByItsTenantOnly() {
    result(store.purgeStatuses().put(tenantA, "p1", "{\"status\":\"partial\"}", Duration.ofMinutes(5)));
    result(store.purgeStatuses().put(tenantA, "p1", "{\"status\":\"done\"}", Duration.ofMinutes(5)));

    assertThat(result(store.purgeStatuses().get(tenantA, "p1"))).contains("{\"status\":\"done\"}");
    assertThat(result(store.purgeStatuses().get(tenantB, "p1"))).isEmpty();
    assertThat(result(store.purgeStatuses().get(tenantA, "p2"))).isEmpty();
    assertThat(result(store.purgeStatuses().get(tenantA, "../weird:*"))).isEmpty();
  }

  @Test
  void purgeStatusExpires() throws InterruptedException {
    result(store.purgeStatuses().put(tenantA, "short", "{}", Duration.ofMillis(100)));
    result(store.purgeStatuses().put(tenantA, "long", "{}", Duration.ofMinutes(5)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (result(store.purgeStatuses().get(tenantA, "short")).isPresent()) {
      assertThat(System.nanoTime()).as("expired within 10 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    // a later put drops what expired and keeps the rest
    result(store.purgeStatuses().put(tenantA, "later", "{}", Duration.ofMinutes(5)));
    assertThat(result(store.purgeStatuses().get(tenantA, "long"))).isPresent();
    assertThat(result(store.purgeStatuses().get(tenantA, "later"))).isPresent();
  }

  @Test
  void purgeStatusesAreErasedWithTheirTenant() {
    result(store.purgeStatuses().put(tenantA, "p1", "{}", Duration.ofMinutes(5)));
    result(store.purgeStatuses().put(tenantB, "p1", "{}", Duration.ofMinutes(5)));
    result(store.eraseTenant(tenantA));

    assertThat(result(store.purgeStatuses().get(tenantA, "p1"))).isEmpty();
    assertThat(result(store.purgeStatuses().get(tenantB, "p1"))).isPresent();
  }

  // --- stats ----------------------------------------------------------------------------------

  /** A recent minute: young enough for every resolution's retention, in the store's real clock too. */
  protected final Instant recent = Instant.now().truncatedTo(ChronoUnit.MINUTES).minusSeconds(120);

  private static StatsStore.Delta delta(String tenant, String site, Map<String, Long> counters) {
    return new StatsStore.Delta(tenant, site, counters);
  }

  private boolean fold(String id, Instant at, StatsStore.Delta... deltas) {
    return result(store.stats().fold(id, at, List.of(deltas)));
  }

  @Test
  void aFoldIsAddedToItsBucketAtEveryResolution() {
    Instant at = recent.plusSeconds(7);
    assertThat(fold("b1", at, delta(tenantA, "www", Map.of("requests", 2L, "bytes", 100L)))).isTrue();
    assertThat(fold("b2", at.plusSeconds(1), delta(tenantA, "www", Map.of("requests", 3L)))).isTrue();

    StatsStore.Range perSecond = result(store.stats().range(tenantA, "www", StatsStore.Resolution.SECOND,
        at, at.plusSeconds(3), 1));
    assertThat(perSecond.of("requests")).containsExactly(2, 3, 0);
    assertThat(perSecond.of("bytes")).containsExactly(100, 0, 0);
    assertThat(perSecond.present()).containsExactly(true, true, false);
    for (StatsStore.Resolution r : List.of(StatsStore.Resolution.MINUTE, StatsStore.Resolution.HOUR,
        StatsStore.Resolution.DAY)) {
      Instant b = Instant.ofEpochSecond(r.bucketOf(at));
      StatsStore.Range one = result(store.stats().range(tenantA, "www", r, b, b.plusSeconds(r.seconds()), r.seconds()));
      assertThat(one.of("requests")).as(r.name()).containsExactly(5);
      assertThat(one.of("bytes")).as(r.name()).containsExactly(100);
    }
  }

  @Test
  void rangeSumsBucketsIntoStepsAndMarksStepsWithoutDataAsGaps() {
    Instant base = recent.minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.HOURS);
    fold("a", base.plusSeconds(5), delta(tenantA, "www", Map.of("requests", 2L, "bytes", 100L)));
    fold("b", base.plusSeconds(59), delta(tenantA, "www", Map.of("requests", 3L)));
    fold("c", base.plusSeconds(60), delta(tenantA, "www", Map.of("requests", 10L)));
    fold("d", base.plusSeconds(300), delta(tenantA, "www", Map.of("requests", 7L)));
    fold("e", base.minusSeconds(1), delta(tenantA, "www", Map.of("requests", 1000L)));
    fold("f", base.plusSeconds(600), delta(tenantA, "www", Map.of("requests", 1000L)));

    StatsStore.Range perMinute = result(store.stats().range(tenantA, "www", StatsStore.Resolution.MINUTE,
        base, base.plusSeconds(600), 60));
    assertThat(perMinute.of("requests")).containsExactly(5, 10, 0, 0, 0, 7, 0, 0, 0, 0);
    assertThat(perMinute.of("bytes")).containsExactly(100, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    assertThat(perMinute.of("hits")).containsOnly(0);
    assertThat(perMinute.present()).containsExactly(true, true, false, false, false, true, false, false, false, false);

    StatsStore.Range perFive = result(store.stats().range(tenantA, "www", StatsStore.Resolution.MINUTE,
        base, base.plusSeconds(600), 300));
    assertThat(perFive.of("requests")).containsExactly(15, 7);
  }

  @Test
  void aBatchFoldedTwiceCountsOnce() {
    assertThat(fold("edge-1/s1/1", recent, delta(tenantA, "www", Map.of("requests", 4L)),
        delta(tenantB, "www", Map.of("requests", 1L)))).isTrue();
    assertThat(fold("edge-1/s1/1", recent, delta(tenantA, "www", Map.of("requests", 4L)),
        delta(tenantB, "www", Map.of("requests", 1L)))).as("the resend is recognised").isFalse();
    assertThat(fold("edge-1/s1/2", recent, delta(tenantA, "www", Map.of("requests", 6L)))).isTrue();

    assertThat(result(store.stats().range(tenantA, "www", StatsStore.Resolution.MINUTE, recent,
        recent.plusSeconds(60), 60)).of("requests")).containsExactly(10);
    assertThat(result(store.stats().range(tenantB, "www", StatsStore.Resolution.SECOND, recent,
        recent.plusSeconds(1), 1)).of("requests")).containsExactly(1);
  }

  @Test
  void aMergedFoldClaimsEveryIdOrNoneAndNamesTheIdsFoldedBefore() {
    StatsStore.Timed a = new StatsStore.Timed(recent, delta(tenantA, "www", Map.of("requests", 5L)));
    StatsStore.Timed b = new StatsStore.Timed(recent.plusSeconds(1), delta(tenantB, "www", Map.of("requests", 7L)));
    assertThat(result(store.stats().foldAll(List.of("m/1", "m/2"), List.of(a, b)))).isEmpty();
    // another instance's window overlaps: m/2 was folded, so nothing of this call is applied
    assertThat(result(store.stats().foldAll(List.of("m/2", "m/3", "m/1"), List.of(a, b))))
        .containsExactlyInAnyOrder("m/2", "m/1");
    assertThat(result(store.stats().fold("m/3", recent, List.of(a.delta())))).as("m/3 was not claimed").isTrue();

    assertThat(result(store.stats().range(tenantA, "www", StatsStore.Resolution.MINUTE, recent,
        recent.plusSeconds(60), 60)).of("requests")).containsExactly(10);
    assertThat(result(store.stats().range(tenantB, "www", StatsStore.Resolution.SECOND, recent,
        recent.plusSeconds(2), 1)).of("requests")).containsExactly(0, 7);
  }

  @Test
  void concurrentFoldsOfOneBatchApplyItExactlyOnce() {
    List<Future<Boolean>> folds = IntStream.range(0, 20)
        .mapToObj(i -> store.stats().fold("edge-2/s9/7", recent,
            List.of(delta(tenantA, "www", Map.of("requests", 1L, "bytes", 10L))))).toList();
    assertThat(folds.stream().map(f -> result(f)).filter(b -> b).count()).isEqualTo(1);
    StatsStore.Range r = result(store.stats().range(tenantA, "www", StatsStore.Resolution.HOUR,
        Instant.ofEpochSecond(StatsStore.Resolution.HOUR.bucketOf(recent)),
        Instant.ofEpochSecond(StatsStore.Resolution.HOUR.bucketOf(recent) + 3600), 3600));
    assertThat(r.of("requests")).containsExactly(1);
    assertThat(r.of("bytes")).containsExactly(10);
  }

  @Test
  void foldsOfDistinctBatchesToOneBucketAreAdditive() {
    List<Future<Boolean>> folds = IntStream.range(0, 20)
        .mapToObj(i -> store.stats().fold("edge-3/s/" + i, recent.plusSeconds(30),
            List.of(delta(tenantA, "www", Map.of("requests", 1L))))).toList();
    folds.forEach(f -> assertThat(result(f)).isTrue());
    assertThat(result(store.stats().range(tenantA, "www", StatsStore.Resolution.MINUTE, recent,
        recent.plusSeconds(60), 60)).of("requests")).containsExactly(20);
  }

  @Test
  void rangeWithoutASiteSumsEverySiteOfTheTenantOnly() {
    fold("a", recent, delta(tenantA, "www", Map.of("requests", 1L)), delta(tenantA, "blog", Map.of("requests", 2L)),
        delta(tenantB, "www", Map.of("requests", 100L)));
    fold("b", recent.plusSeconds(60), delta(tenantA, "blog", Map.of("requests", 4L)));
    StatsStore.Range all = result(store.stats().range(tenantA, null, StatsStore.Resolution.MINUTE, recent,
        recent.plusSeconds(120), 60));
    assertThat(all.of("requests")).containsExactly(3, 4);
    StatsStore.Range blog = result(store.stats().range(tenantA, "blog", StatsStore.Resolution.MINUTE, recent,
        recent.plusSeconds(120), 60));
    assertThat(blog.of("requests")).containsExactly(2, 4);
    assertThat(result(store.stats().sites(tenantA))).containsExactlyInAnyOrder("www", "blog");
    assertThat(result(store.stats().sites(tenantB))).containsExactly("www");
  }

  @Test
  void rangeRejectsAStepThatIsNotAMultipleOfTheResolution() {
    assertThat(failure(store.stats().range(tenantA, null, StatsStore.Resolution.MINUTE, t0, t0.plusSeconds(600), 90)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // --- notifications --------------------------------------------------------------------------

  @Test
  void notificationsAreListedNewestFirstUpToTheLimit() {
    for (int i = 1; i <= 5; i++) {
      result(store.notifications().append(note(tenantA, i)));
    }
    assertThat(result(store.notifications().list(tenantA, 3))).extracting(Notification::id)
        .containsExactly("n5", "n4", "n3");
    assertThat(result(store.notifications().list(tenantA, 100))).hasSize(5);
    assertThat(result(store.notifications().list(tenantB, 100))).isEmpty();
  }

  @Test
  void notificationFeedIsBoundedToMaxEntries() {
    int max = NotificationStore.MAX_ENTRIES;
    // fill concurrently (their relative order is undefined), then five more one after another
    List<Future<Void>> fill = new ArrayList<>();
    for (int i = 1; i <= max; i++) {
      fill.add(store.notifications().append(note(tenantA, i)));
    }
    fill.forEach(f -> result(f, 60_000));
    for (int i = max + 1; i <= max + 5; i++) {
      result(store.notifications().append(note(tenantA, i)));
    }
    List<Notification> all = result(store.notifications().list(tenantA, max + 5));
    assertThat(all).hasSize(max);
    assertThat(all.subList(0, 5)).extracting(Notification::id)
        .containsExactly("n" + (max + 5), "n" + (max + 4), "n" + (max + 3), "n" + (max + 2), "n" + (max + 1));
    assertThat(all).extracting(Notification::id).doesNotHaveDuplicates();
  }

  // --- access state ---------------------------------------------------------------------------

  @Test
  void allowlistRoundTripsAndIsEmptyWhenUnset() {
    assertThat(result(store.access().getAllowlist(tenantA))).isEmpty();
    result(store.access().putAllowlist(tenantA, List.of("10.0.0.0/8", "2001:db8::/32")));
    assertThat(result(store.access().getAllowlist(tenantA))).containsExactly("10.0.0.0/8", "2001:db8::/32");
    result(store.access().putAllowlist(tenantA, List.of()));
    assertThat(result(store.access().getAllowlist(tenantA))).isEmpty();
  }

  @Test
  void counterCountsWithinItsWindowAndExpiresAfterItsTtl() throws InterruptedException {
    Duration ttl = Duration.ofMillis(400);
    assertThat(result(store.access().getCounter(tenantA, "login:alice"))).isZero();
    assertThat(result(store.access().incrementCounter(tenantA, "login:alice", ttl))).isEqualTo(1);
    assertThat(result(store.access().incrementCounter(tenantA, "login:alice", ttl))).isEqualTo(2);
    assertThat(result(store.access().getCounter(tenantA, "login:alice"))).isEqualTo(2);
    Thread.sleep(ttl.toMillis() + 150);
    assertThat(result(store.access().getCounter(tenantA, "login:alice"))).isZero();
    // a new window starts at 1
    assertThat(result(store.access().incrementCounter(tenantA, "login:alice", ttl))).isEqualTo(1);
  }

  // --- token buckets --------------------------------------------------------------------------

  @Test
  void tokenBucketGrantsItsCapacityThenRefusesWithTheWaitForTheNextToken() {
    MutableClock clock = new MutableClock(t0);
    reopenWith(clock);
    TokenBucket bucket = new TokenBucket(3, Duration.ofMillis(2500));
    for (int i = 2; i >= 0; i--) {
      TokenBucket.Take take = result(store.access().takeToken(tenantA, "purge", bucket));
      assertThat(take.granted()).isTrue();
      assertThat(take.remaining()).isEqualTo(i);
      assertThat(take.retryIn()).isZero();
    }
    TokenBucket.Take refused = result(store.access().takeToken(tenantA, "purge", bucket));
    assertThat(refused.granted()).isFalse();
    assertThat(refused.retryIn()).isEqualTo(Duration.ofMillis(2500));
    assertThat(refused.retryAfterSeconds()).isEqualTo(3);
    clock.advance(Duration.ofMillis(2000));
    refused = result(store.access().takeToken(tenantA, "purge", bucket));
    assertThat(refused.granted()).isFalse();
    assertThat(refused.retryIn()).isEqualTo(Duration.ofMillis(500));
    // whole seconds, rounded up, never 0
    assertThat(refused.retryAfterSeconds()).isEqualTo(1);
    // other tenants and other names have their own buckets
    assertThat(result(store.access().takeToken(tenantB, "purge", bucket)).granted()).isTrue();
    assertThat(result(store.access().takeToken(tenantA, "other", bucket)).granted()).isTrue();
  }

  @Test
  void tokenBucketRefillsOneTokenPerIntervalUpToItsCapacity() {
    MutableClock clock = new MutableClock(t0);
    reopenWith(clock);
    TokenBucket bucket = new TokenBucket(4, Duration.ofSeconds(1));
    for (int i = 0; i < 4; i++) {
      assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isTrue();
    }
    assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isFalse();
    // 2.5 intervals: two tokens, and the half interval is not lost
    clock.advance(Duration.ofMillis(2500));
    assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isTrue();
    assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isTrue();
    TokenBucket.Take empty = result(store.access().takeToken(null, "bucket-test", bucket));
    assertThat(empty.granted()).isFalse();
    assertThat(empty.retryIn()).isEqualTo(Duration.ofMillis(500));
    clock.advance(Duration.ofMillis(500));
    assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isTrue();
    // a long pause fills the bucket to its capacity, not beyond
    clock.advance(Duration.ofHours(1));
    for (int i = 3; i >= 0; i--) {
      assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).remaining()).isEqualTo(i);
    }
    assertThat(result(store.access().takeToken(null, "bucket-test", bucket)).granted()).isFalse();
    // a clock that went back adds nothing and takes nothing away
    clock.advance(Duration.ofSeconds(-30));
    TokenBucket.Take back = result(store.access().takeToken(null, "bucket-test", bucket));
    assertThat(back.granted()).isFalse();
    assertThat(back.retryIn()).isPositive();
  }

  @Test
  void concurrentTakersNeverGetMoreTokensThanTheBucketHolds() {
    MutableClock clock = new MutableClock(t0);
    reopenWith(clock);
    TokenBucket bucket = new TokenBucket(25, Duration.ofMinutes(1));
    List<Future<TokenBucket.Take>> takes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      takes.add(store.access().takeToken(tenantA, "purge", bucket));
    }
    result(Future.all(takes));
    assertThat(takes.stream().filter(f -> f.result().granted()).count()).isEqualTo(25);
    assertThat(takes.stream().map(f -> f.result().remaining()).filter(r -> r == 0).count()).isEqualTo(176);
  }

  @Test
  void aTenantsBucketIsInItsNamespaceAndErasedWithIt() {
    result(store.tenants().createTenant(tenant(tenantA)));
    result(store.access().takeToken(tenantA, "purge", new TokenBucket(10, Duration.ofMinutes(1))));
    assertThat(namespaceOf(tenantA)).isNotEmpty();
    result(store.eraseTenant(tenantA));
    assertThat(namespaceOf(tenantA)).isEmpty();
  }

  @Test
  void deleteCounterResetsIt() {
    result(store.access().incrementCounter(tenantA, "rate", Duration.ofMinutes(1)));
    result(store.access().deleteCounter(tenantA, "rate"));
    assertThat(result(store.access().getCounter(tenantA, "rate"))).isZero();
  }

  @Test
  void markerExistsUntilItsExpiry() throws InterruptedException {
    Instant expires = Instant.now().plusMillis(400).truncatedTo(ChronoUnit.MILLIS);
    assertThat(result(store.access().getMarker(tenantA, "lock:alice"))).isNull();
    result(store.access().putMarker(tenantA, "lock:alice", expires));
    assertThat(result(store.access().getMarker(tenantA, "lock:alice"))).isEqualTo(expires);
    Thread.sleep(Duration.between(Instant.now(), expires).toMillis() + 150);
    assertThat(result(store.access().getMarker(tenantA, "lock:alice"))).isNull();
  }

  @Test
  void deleteMarkerRemovesIt() {
    result(store.access().putMarker(tenantA, "revoked:tok", Instant.now().plusSeconds(60)));
    result(store.access().deleteMarker(tenantA, "revoked:tok"));
    assertThat(result(store.access().getMarker(tenantA, "revoked:tok"))).isNull();
  }

  @Test
  void platformScopeAccessStateIsSeparateFromTenants() {
    String name = "src:" + Ids.random(6);
    result(store.access().incrementCounter(null, name, Duration.ofMinutes(1)));
    result(store.access().putMarker(null, name, Instant.now().plusSeconds(60)));
    assertThat(result(store.access().getCounter(null, name))).isEqualTo(1);
    assertThat(result(store.access().getCounter(tenantA, name))).isZero();
    assertThat(result(store.access().getMarker(tenantA, name))).isNull();
    assertThat(result(store.access().getMarker(null, name))).isNotNull();
    result(store.access().deleteCounter(null, name));
    result(store.access().deleteMarker(null, name));
    assertThat(result(store.access().getCounter(null, name))).isZero();
  }

  // --- log sinks --------------------------------------------------------------------------------

  @Test
  void aSinkListIsReplacedAsAWholeAndRaisesTheEpoch() {
    assertThat(result(store.logSinks().get(tenantA))).isEmpty();
    long epoch = result(store.logSinks().changeEpoch());
    result(store.logSinks().put(tenantA, "[1]", List.of("s1", "s2")));
    assertThat(result(store.logSinks().get(tenantA))).contains("[1]");
    assertThat(result(store.logSinks().tenants())).containsExactly(tenantA);
    assertThat(result(store.logSinks().changeEpoch())).isGreaterThan(epoch);
    long second = result(store.logSinks().changeEpoch());
    result(store.logSinks().put(tenantA, "[2]", List.of("s2")));
    assertThat(result(store.logSinks().get(tenantA))).contains("[2]");
    assertThat(result(store.logSinks().changeEpoch())).isGreaterThan(second);
    assertThat(result(store.logSinks().putCursor(tenantA, "s2", "inst-1", "{}"))).isTrue();
    result(store.logSinks().put(tenantA, "[]", List.of()));
    assertThat(result(store.logSinks().get(tenantA))).as("an empty list removes it").isEmpty();
    assertThat(result(store.logSinks().cursors(tenantA))).isEmpty();
    assertThat(result(store.logSinks().tenants())).isEmpty();
    assertThat(namespaceOf(tenantA)).as("nothing of the sinks is left").isEmpty();
  }

  @Test
  void cursorsOfASinkTakenOutOfTheListAreDroppedAndNotWrittenAgain() {
    result(store.logSinks().put(tenantA, "[1]", List.of("s1", "s2")));
    assertThat(result(store.logSinks().putCursor(tenantA, "s1", "inst-1", "{\"a\":1}"))).isTrue();
    assertThat(result(store.logSinks().putCursor(tenantA, "s1", "inst-2", "{\"a\":2}"))).isTrue();
    assertThat(result(store.logSinks().putCursor(tenantA, "s2", "inst-1", "{\"b\":1}"))).isTrue();
    assertThat(result(store.logSinks().putCursor(tenantA, "s1", "inst-1", "{\"a\":3}"))).isTrue();
    assertThat(result(store.logSinks().cursors(tenantA))).containsExactlyInAnyOrder(
        new LogSinkStore.Cursor("s1", "inst-1", "{\"a\":3}"), new LogSinkStore.Cursor("s1", "inst-2", "{\"a\":2}"),
        new LogSinkStore.Cursor("s2", "inst-1", "{\"b\":1}"));

    result(store.logSinks().put(tenantA, "[2]", List.of("s2")));
    assertThat(result(store.logSinks().cursors(tenantA))).containsExactly(new LogSinkStore.Cursor("s2", "inst-1", "{\"b\":1}"));
    assertThat(result(store.logSinks().putCursor(tenantA, "s1", "inst-1", "{\"late\":1}")))
        .as("a shipper finishing after its sink was removed").isFalse();
    assertThat(result(store.logSinks().cursors(tenantA))).extracting(LogSinkStore.Cursor::sinkId).containsExactly("s2");
    assertThat(result(store.logSinks().putCursor(tenantB, "s2", "inst-1", "{}"))).as("another tenant's sink id").isFalse();
    assertThat(result(store.logSinks().cursors(tenantB))).isEmpty();
  }

  @Test
  void loggingInstancesAreRegisteredWithWhenTheyWereLastSeenUntilForgotten() {
    assertThat(result(store.logSinks().instances())).isEmpty();
    Instant t0 = Instant.parse("2026-12-01T10:00:00.123Z");
    result(store.logSinks().instanceSeen("li-b", t0));
    result(store.logSinks().instanceSeen("li-a", t0));
    result(store.logSinks().instanceSeen("li-b", t0.plusSeconds(10)));
    assertThat(result(store.logSinks().instances())).containsExactly(
        Map.entry("li-a", t0), Map.entry("li-b", t0.plusSeconds(10)));
    result(store.logSinks().forgetInstance("li-a"));
    assertThat(result(store.logSinks().instances())).containsOnlyKeys("li-b");
  }

  @Test
  void aTenantsLogRetentionIsKeptInItsNamespaceAndErasedWithIt() {
    assertThat(result(store.logSinks().logRetentionDays(tenantA))).isEmpty();
    result(store.logSinks().putLogRetentionDays(tenantA, 90));
    assertThat(result(store.logSinks().logRetentionDays(tenantA))).contains(90);
    assertThat(result(store.logSinks().logRetentionDays(tenantB))).isEmpty();
    result(store.logSinks().putLogRetentionDays(tenantA, null));
    assertThat(result(store.logSinks().logRetentionDays(tenantA))).isEmpty();
    result(store.logSinks().putLogRetentionDays(tenantA, 7));
    result(store.eraseTenant(tenantA));
    assertThat(result(store.logSinks().logRetentionDays(tenantA))).isEmpty();
    assertThat(namespaceOf(tenantA)).isEmpty();
  }

  // --- isolation and erasure ------------------------------------------------------------------

  /** Writes one of everything for the tenant and returns the hostnames and key id it claimed. */
  protected List<String> fillTenant(String tenant) {
    result(store.tenants().createTenant(tenant(tenant)));
    result(store.tenants().createUser(user(tenant, "alice", 1)));
    String keyId = "kk-" + tenant;
    result(store.apiKeys().create(key(tenant, keyId, t0)));
    putSite(tenant, "www", "www." + tenant + ".example", "cdn." + tenant + ".example");
    putSite(tenant, "www", "www." + tenant + ".example");
    result(store.purgeLog().append(purge(tenant, "/" + tenant)));
    result(store.stats().fold("fill-" + tenant, recent, List.of(new StatsStore.Delta(tenant, "www", Map.of("requests", 5L)))));
    result(store.notifications().append(note(tenant, 1)));
    result(store.access().putAllowlist(tenant, List.of("10.0.0.0/8")));
    result(store.access().incrementCounter(tenant, "login:alice", Duration.ofMinutes(5)));
    result(store.access().putMarker(tenant, "lock:alice", Instant.now().plusSeconds(300)));
    result(store.logSinks().put(tenant, "{\"sinks\":[\"s1\"]}", List.of("s1")));
    assertThat(result(store.logSinks().putCursor(tenant, "s1", "inst-1", "{}"))).isTrue();
    return List.of("www." + tenant + ".example", keyId);
  }

  @Test
  void tenantDataIsInvisibleToAnotherTenant() {
    fillTenant(tenantA);
    assertThat(result(store.tenants().listUsers(tenantB))).isEmpty();
    assertThat(result(store.tenants().getUser(tenantB, "alice"))).isEmpty();
    assertThat(result(store.apiKeys().list(tenantB))).isEmpty();
    assertThat(result(store.sites().listCurrent(tenantB))).isEmpty();
    assertThat(result(store.sites().current(tenantB, "www"))).isEmpty();
    assertThat(result(store.sites().versions(tenantB, "www"))).isEmpty();
    assertThat(result(store.stats().range(tenantB, null, StatsStore.Resolution.MINUTE, recent, recent.plusSeconds(60), 60))
        .of("requests")).containsExactly(0);
    assertThat(result(store.notifications().list(tenantB, 10))).isEmpty();
    assertThat(result(store.access().getAllowlist(tenantB))).isEmpty();
    assertThat(result(store.access().getCounter(tenantB, "login:alice"))).isZero();
    assertThat(result(store.access().getMarker(tenantB, "lock:alice"))).isNull();
    assertThat(namespaceOf(tenantB)).isEmpty();
    assertThat(namespaceOf(tenantA)).isNotEmpty();
  }

  @Test
  void eraseTenantRemovesEverythingOfTheTenantAndNothingOfAnother() {
    List<String> a = fillTenant(tenantA);
    List<String> b = fillTenant(tenantB);
    List<String> bNamespace = namespaceOf(tenantB);
    List<PurgeRecord> bPurges = result(store.purgeLog().readAfter(0, 100)).stream()
        .filter(p -> p.tenant().equals(tenantB)).toList();
    long epoch = result(store.sites().changeEpoch());
    long sinkEpoch = result(store.logSinks().changeEpoch());

    result(store.eraseTenant(tenantA));

    assertThat(namespaceOf(tenantA)).as("keys left in tenant A's namespace").isEmpty();
    assertThat(result(store.tenants().getTenant(tenantA))).isEmpty();
    assertThat(result(store.tenants().listTenants())).extracting(Tenant::id).containsExactly(tenantB);
    assertThat(result(store.tenants().listUsers(tenantA))).isEmpty();
    assertThat(result(store.apiKeys().find(a.get(1)))).isEmpty();
    assertThat(result(store.apiKeys().list(tenantA))).isEmpty();
    assertThat(result(store.sites().resolveHost(a.get(0)))).isEmpty();
    assertThat(result(store.sites().resolveHost("cdn." + tenantA + ".example"))).isEmpty();
    assertThat(result(store.sites().listCurrent(tenantA))).isEmpty();
    assertThat(result(store.sites().listAllCurrent())).extracting(SiteVersion::tenant).containsOnly(tenantB);
    assertThat(result(store.purgeLog().readAfter(0, 100))).containsExactlyElementsOf(bPurges);
    assertThat(result(store.notifications().list(tenantA, 10))).isEmpty();
    assertThat(result(store.access().getAllowlist(tenantA))).isEmpty();
    assertThat(result(store.access().getCounter(tenantA, "login:alice"))).isZero();
    assertThat(result(store.access().getMarker(tenantA, "lock:alice"))).isNull();
    assertThat(result(store.stats().range(tenantA, null, StatsStore.Resolution.MINUTE, recent, recent.plusSeconds(60), 60))
        .of("requests")).containsExactly(0);
    assertThat(result(store.sites().changeEpoch())).as("edges must notice the removed sites").isGreaterThan(epoch);
    assertThat(result(store.logSinks().get(tenantA))).isEmpty();
    assertThat(result(store.logSinks().cursors(tenantA))).isEmpty();
    assertThat(result(store.logSinks().tenants())).containsExactly(tenantB);
    assertThat(result(store.logSinks().changeEpoch())).as("logging instances must stop shipping A")
        .isGreaterThan(sinkEpoch);
    // the purge sequence never goes back
    assertThat(result(store.purgeLog().lastSeq())).isEqualTo(2);

    // tenant B is untouched
    assertThat(namespaceOf(tenantB)).containsExactlyInAnyOrderElementsOf(bNamespace);
    assertThat(result(store.tenants().getTenant(tenantB))).isPresent();
    assertThat(result(store.tenants().getUser(tenantB, "alice"))).isPresent();
    assertThat(result(store.apiKeys().find(b.get(1)))).isPresent();
    assertThat(result(store.sites().resolveHost(b.get(0)))).map(HostBinding::tenant).contains(tenantB);
    assertThat(result(store.sites().versions(tenantB, "www"))).hasSize(2);
    assertThat(result(store.notifications().list(tenantB, 10))).hasSize(1);
    assertThat(result(store.access().getAllowlist(tenantB))).containsExactly("10.0.0.0/8");
    assertThat(result(store.access().getCounter(tenantB, "login:alice"))).isEqualTo(1);
    assertThat(result(store.access().getMarker(tenantB, "lock:alice"))).isNotNull();
    assertThat(result(store.logSinks().get(tenantB))).contains("{\"sinks\":[\"s1\"]}");
    assertThat(result(store.logSinks().cursors(tenantB))).hasSize(1);
    assertThat(result(store.stats().range(tenantB, null, StatsStore.Resolution.MINUTE, recent, recent.plusSeconds(60), 60))
        .of("requests")).containsExactly(5);
  }

  @Test
  void eraseTenantOfAnUnknownTenantSucceeds() {
    result(store.eraseTenant("ghost-" + Ids.random(6)));
  }

  @Test
  void invalidTenantIdsAreRefusedBeforeReachingTheBackend() {
    assertThat(failureOf(() -> store.eraseTenant("a:*"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failureOf(() -> store.tenants().listUsers("A*"))).isInstanceOf(IllegalArgumentException.class);
  }

  /** Tiny helper so the expected sequence reads as a range. */
  private static final class LongStreamRange {
    static List<Long> closed(long from, long to) {
      return java.util.stream.LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
    }
  }

  /** The failure of a call that may either throw at once or return a failed Future. */
  private static Throwable failureOf(java.util.function.Supplier<Future<?>> call) {
    try {
      return failure(call.get());
    } catch (IllegalArgumentException e) {
      return e;
    }
  }

  // --- audit chains ---------------------------------------------------------------------------

  /** A record on top of {@code on}; hashes are opaque to the store, so any distinct text will do. */
  private static AuditRecord auditRecord(String tenant, Head on, Instant ts, String action) {
    return new AuditRecord(on.seq() + 1, ts, tenant, "user:alice", action, "target", "127.0.0.1", "success",
        "req-" + (on.seq() + 1), on.hash(), String.format("%064x", on.seq() + 1 + action.hashCode()));
  }

  @Test
  void anAuditAppendMovesTheHeadOnlyFromTheHeadItWasBuiltOn() {
    assertThat(result(store.audit().head(tenantA))).isEqualTo(Head.GENESIS);
    AuditRecord first = auditRecord(tenantA, Head.GENESIS, t0, "user.create");
    assertThat(result(store.audit().append(tenantA, Head.GENESIS, first))).isTrue();
    Head head = result(store.audit().head(tenantA));
    assertThat(head).isEqualTo(new Head(1, first.hash()));

    AuditRecord stale = auditRecord(tenantA, Head.GENESIS, t0, "user.delete");
    assertThat(result(store.audit().append(tenantA, Head.GENESIS, stale))).as("built on an old head").isFalse();
    assertThat(result(store.audit().head(tenantA))).isEqualTo(head);
    assertThat(result(store.audit().records(tenantA, null, null, 10))).containsExactly(first);
  }

  @Test
  void concurrentAuditAppendsOnTheSameHeadNeverForkTheChain() {
    List<Future<Boolean>> racers = IntStream.range(0, 20)
        .mapToObj(i -> store.audit().append(tenantA, Head.GENESIS, auditRecord(tenantA, Head.GENESIS, t0, "race" + i)))
        .toList();
    result(Future.join(racers));
    assertThat(racers.stream().filter(f -> f.succeeded() && f.result()).count()).isEqualTo(1);
    assertThat(result(store.audit().records(tenantA, null, null, 100))).hasSize(1);
  }

  @Test
  void auditChainsAreKeptPerTenantAndForThePlatform() {
    AuditRecord a = auditRecord(tenantA, Head.GENESIS, t0, "site.put");
    AuditRecord platform = auditRecord(null, Head.GENESIS, t0, "tenant.create");
    assertThat(result(store.audit().append(tenantA, Head.GENESIS, a))).isTrue();
    assertThat(result(store.audit().append(null, Head.GENESIS, platform))).isTrue();
    assertThat(result(store.audit().records(tenantA, null, null, 10))).containsExactly(a);
    assertThat(result(store.audit().records(null, null, null, 10))).containsExactly(platform);
    assertThat(result(store.audit().records(tenantB, null, null, 10))).isEmpty();
    assertThat(result(store.audit().chains())).contains(tenantA).doesNotContain(tenantB);
  }

  @Test
  void auditRecordsAreReadInChainOrderWithinATimeRange() {
    Head head = Head.GENESIS;
    List<AuditRecord> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      AuditRecord r = auditRecord(tenantA, head, t0.plus(Duration.ofMinutes(i)), "a" + i);
      assertThat(result(store.audit().append(tenantA, head, r))).isTrue();
      written.add(r);
      head = new Head(r.seq(), r.hash());
    }
    assertThat(result(store.audit().records(tenantA, t0.plus(Duration.ofMinutes(1)), t0.plus(Duration.ofMinutes(3)), 10)))
        .containsExactly(written.get(1), written.get(2));
    assertThat(result(store.audit().records(tenantA, null, null, 2))).containsExactly(written.get(0), written.get(1));
  }

  @Test
  void trimmingAnAuditChainCutsItsOldestRecordsAndLeavesACheckpoint() {
    Head head = Head.GENESIS;
    List<AuditRecord> written = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      AuditRecord r = auditRecord(tenantA, head, t0.plus(Duration.ofHours(i)), "a" + i);
      result(store.audit().append(tenantA, head, r));
      written.add(r);
      head = new Head(r.seq(), r.hash());
    }
    assertThat(result(store.audit().checkpoint(tenantA))).isEqualTo(Head.GENESIS);
    assertThat(result(store.audit().trim(tenantA, t0.plus(Duration.ofMinutes(90))))).isEqualTo(2);
    assertThat(result(store.audit().checkpoint(tenantA))).isEqualTo(new Head(2, written.get(1).hash()));
    assertThat(result(store.audit().records(tenantA, null, null, 10))).containsExactly(written.get(2));
    assertThat(result(store.audit().head(tenantA))).isEqualTo(head);
    assertThat(result(store.audit().trim(tenantA, t0.plus(Duration.ofMinutes(90))))).as("nothing more to cut").isZero();
  }

  @Test
  void erasingATenantErasesItsAuditChainButNotThePlatformChain() {
    result(store.audit().append(tenantA, Head.GENESIS, auditRecord(tenantA, Head.GENESIS, t0, "site.put")));
    AuditRecord platform = auditRecord(null, Head.GENESIS, t0, "tenant.create");
    result(store.audit().append(null, Head.GENESIS, platform));
    result(store.eraseTenant(tenantA));
    assertThat(result(store.audit().head(tenantA))).isEqualTo(Head.GENESIS);
    assertThat(result(store.audit().records(tenantA, null, null, 10))).isEmpty();
    assertThat(result(store.audit().chains())).doesNotContain(tenantA);
    assertThat(namespaceOf(tenantA)).isEmpty();
    assertThat(result(store.audit().records(null, null, null, 10))).containsExactly(platform);
  }


  // --- edge members ---------------------------------------------------------------------------

  private dev.kasoku.common.model.EdgeMember member(String node, String address, Instant at, Duration lease) {
    return new dev.kasoku.common.model.EdgeMember(node, address, at, at.plus(lease));
  }

  @Test
  void recordedEdgesAreLiveSortedByNodeAndAReRecordReplacesTheAddress() {
    MutableClock clock = new MutableClock(t0);
    reopenWith(clock);
    String a = "edge-a-" + Ids.random(6);
    String b = "edge-b-" + Ids.random(6);
    result(store.edgeMembers().record(member(b, "10.0.0.2:8444", t0, Duration.ofSeconds(5))));
    result(store.edgeMembers().record(member(a, "10.0.0.1:8444", t0, Duration.ofSeconds(5))));
    assertThat(result(store.edgeMembers().live())).extracting(dev.kasoku.common.model.EdgeMember::node)
        .containsExactly(a, b);
    result(store.edgeMembers().record(member(a, "10.0.0.9:9444", t0.plusSeconds(1), Duration.ofSeconds(5))));
    assertThat(result(store.edgeMembers().live())).filteredOn(m -> m.node().equals(a))
        .singleElement().satisfies(m -> {
          assertThat(m.peerAddress()).isEqualTo("10.0.0.9:9444");
          assertThat(m.heartbeatAt()).isEqualTo(t0.plusSeconds(1));
        });
  }

  @Test
  void anEdgeWhoseLeaseRanOutIsNotLiveAndIsDroppedByTheNextRecord() {
    MutableClock clock = new MutableClock(t0);
    reopenWith(clock);
    String a = "edge-a-" + Ids.random(6);
    String b = "edge-b-" + Ids.random(6);
    result(store.edgeMembers().record(member(a, "10.0.0.1:8444", t0, Duration.ofSeconds(3))));
    result(store.edgeMembers().record(member(b, "10.0.0.2:8444", t0, Duration.ofSeconds(10))));
    clock.advance(Duration.ofSeconds(4));
    assertThat(result(store.edgeMembers().live())).extracting(dev.kasoku.common.model.EdgeMember::node)
        .containsExactly(b);
    // b renews: a is gone for good, even if the clock went back
    result(store.edgeMembers().record(member(b, "10.0.0.2:8444", t0.plusSeconds(4), Duration.ofSeconds(10))));
    clock.set(t0);
    assertThat(result(store.edgeMembers().live())).extracting(dev.kasoku.common.model.EdgeMember::node)
        .containsExactly(b);
  }

  @Test
  void aRemovedEdgeIsGoneAtOnceAndRemovingAnUnknownOneIsHarmless() {
    String a = "edge-a-" + Ids.random(6);
    Instant now = Instant.now();
    result(store.edgeMembers().record(member(a, "127.0.0.1:1", now, Duration.ofMinutes(1))));
    result(store.edgeMembers().remove(a));
    result(store.edgeMembers().remove("edge-never-" + Ids.random(6)));
    assertThat(result(store.edgeMembers().live())).isEmpty();
  }
}
