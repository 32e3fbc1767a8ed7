package dev.kasoku.common.store.embedded;

import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.PurgeRecord;
import dev.kasoku.common.store.AccessStore;
import dev.kasoku.common.store.ApiKeyStore;
import dev.kasoku.common.store.HostnameConflictException;
import dev.kasoku.common.store.EdgeMemberStore;
import dev.kasoku.common.store.LogSinkStore;
import dev.kasoku.common.store.AuditStore;
import dev.kasoku.common.store.NotificationStore;
import dev.kasoku.common.store.PurgeLog;
import dev.kasoku.common.store.PurgeStatusStore;
import dev.kasoku.common.store.SiteStore;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.Store;
import dev.kasoku.common.store.StoreUnavailableException;
import dev.kasoku.common.store.TenantStore;
import dev.kasoku.common.json.Json;
import dev.kasoku.common.prometheus.Prometheus;
import dev.kasoku.common.store.impl.StoreMeters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

/**
 * The store of a single-machine Kasoku: one H2 MVStore file, {@code <dir>/kasoku.mv.db}.
 *
 * <h2>Why built this way</h2>
 * MVStore is a well-kept, crash-safe, append-only B-tree store (H2's storage engine): a commit
 * writes a new chunk and then the file header that points to it, and on open the store falls back
 * to the newest chunk that is complete. That gives us the two properties a single-node store needs
 * without a server: <b>durability</b> and <b>all-or-nothing multi-key writes</b>.
 *
 * <ul>
 *   <li><b>One thread.</b> MVStore calls block on disk, so every operation (reads too) runs on one
 *       dedicated worker thread (a Vert.x worker pool of size 1), never on an event loop. Because
 *       operations run one after another, each is atomic with respect to the others: a hostname
 *       check-and-claim, a version N+1, a purge sequence number cannot interleave. Futures complete
 *       on the caller's context. Tasks are submitted unordered: the single thread already runs them
 *       in submission order, and an ordered task belongs to the caller's context, which Vert.x
 *       interrupts when that context closes (a role undeployed at shutdown). An interrupt closes the
 *       file's channel for good, which would take the store away from every other role.</li>
 *   <li><b>Commit per operation.</b> Auto-commit (MVStore's background writer) is disabled, so
 *       nothing reaches the file mid-operation. After a mutation the store commits and fsyncs
 *       ({@link MVStore#commit()} + {@link MVStore#sync()}) <em>before</em> the Future completes:
 *       a caller that saw success will find the write after a crash or power loss. When the
 *       operation throws (a hostname conflict, a bad argument, an I/O error) its in-memory changes
 *       are rolled back to the last commit, so nothing half-done is ever committed later.</li>
 *   <li><b>Namespaces.</b> Platform data lives in maps named {@code g:*} (tenants, hostname index,
 *       API-key id index, purge log, meta counters, platform access state). Everything of tenant
 *       {@code T} lives in maps named {@code t:T:*} (users, keys, sites, versions, stats,
 *       notifications, access state, its purge-log index), so a tenant's data can be listed by map
 *       name and dropped as a whole (docs/security-controls.md, 8.1.1 and CLD.8.1.5).</li>
 *   <li><b>Secure disposal.</b> MVStore never overwrites in place: dropped data survives in old
 *       chunks until their space is reused. After {@link #eraseTenant} the whole file is therefore
 *       rewritten: live maps are copied into a fresh file, the fresh file atomically replaces the
 *       old one, and the old file is overwritten with zeros, fsynced and deleted (docs/security-controls.md, 11.2.7).
 *       A crash during that sequence is finished on the next open (see {@link #recoverFiles}).
 *       Overwriting cannot reach copies the file system or SSD firmware keep elsewhere (copy-on-write
 *       file systems, wear levelling); full-disk encryption covers that residue.</li>
 *   <li><b>Housekeeping.</b> Every few minutes the same thread drops expired counters and markers
 *       and stats buckets older than their resolution's retention, and compacts sparse chunks.</li>
 * </ul>
 *
 * <p>The file is locked while open: a second process using the same data directory fails to open
 * it with a clear error instead of corrupting it.
 */
public final class EmbeddedStore implements Store {
  static final String FILE = "kasoku.mv.db";
  private static final String FRESH = FILE + ".new";
  private static final String ERASED = FILE + ".erased";
  private static final long MAINTENANCE_MS = TimeUnit.MINUTES.toMillis(5);
  /** Generous: the bound on an operation stuck on a failing disk, not a normal latency. */
  private static final long OP_TIMEOUT_MS = 30_000;
  private static final System.Logger LOG = System.getLogger(EmbeddedStore.class.getName());

  // global map names
  static final String G_TENANTS = "g:tenants";
  static final String G_HOSTS = "g:hosts";
  static final String G_APIKEYS = "g:apikeys";
  static final String G_PURGES = "g:purges";
  static final String G_META = "g:meta";
  static final String G_ACCESS = "g:access";
  static final String META_EPOCH = "changeEpoch";
  static final String META_PURGE_SEQ = "purgeSeq";
  static final String META_PURGE_TRIMMED = "purgeTrimmed";

  private final Vertx vertx;
  private final Path dir;
  private final Clock clock;
  private final WorkerExecutor executor;
  private final StoreMeters meters;
  private volatile MVStore mv;
  private volatile boolean closed;
  private long maintenanceTimer = -1;

  private final EmbeddedTenants tenants = new EmbeddedTenants(this);
  private final EmbeddedApiKeys apiKeys = new EmbeddedApiKeys(this);
  private final EmbeddedSites sites = new EmbeddedSites(this);
  private final EmbeddedPurgeLog purgeLog = new EmbeddedPurgeLog(this);
  private final EmbeddedStats stats = new EmbeddedStats(this);
  private final EmbeddedNotifications notifications = new EmbeddedNotifications(this);
  private final EmbeddedAudit audit = new EmbeddedAudit(this);
  private final EmbeddedPurgeStatuses purgeStatuses = new EmbeddedPurgeStatuses(this);
  private final EmbeddedAccess access = new EmbeddedAccess(this);
  private final EmbeddedLogSinks logSinks = new EmbeddedLogSinks(this);
  private final EmbeddedEdgeMembers edgeMembers;

  private EmbeddedStore(Vertx vertx, Path dir, Clock clock) {
    this.vertx = vertx;
    this.dir = dir;
    this.clock = clock;
    this.edgeMembers = new EmbeddedEdgeMembers(clock);
    this.meters = new StoreMeters(Prometheus.registry(vertx));
    this.executor = vertx.createSharedWorkerExecutor("kasoku-embedded-store-" + Ids.random(8), 1,
        OP_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
  }

  /** Opens (creating if needed) the store in {@code dir}, using the system clock for expiries. */
  public static Future<Store> open(Vertx vertx, Path dir) {
    return open(vertx, dir, Clock.systemUTC()).map(s -> s);
  }

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @param clock decides when counters and markers expire
   */
  public static Future<EmbeddedStore> open(Vertx vertx, Path dir, Clock clock) {
    EmbeddedStore store = new EmbeddedStore(vertx, dir, clock);
    return store.executor.executeBlocking(() -> {
      store.openFiles();
      return store;
    }, false).onSuccess(s -> s.startMaintenance()).recover(e -> {
      MVStore half = store.mv;
      if (half != null && !half.isClosed()) {
        half.closeImmediately();
      }
      store.executor.close();
      return Future.failedFuture(new StoreUnavailableException(
          "cannot open the embedded store in " + dir + ": " + e.getMessage(), e));
    });
  }

  /** The directory holding the store file. */
  public Path directory() {
    return dir;
  }

  // --- the one-thread execution model -----------------------------------------------------

  /** Runs a read on the store thread. */
  <T> Future<T> read(Callable<T> op) {
    return run(op, false);
  }

  /** Runs a mutation on the store thread; commits and fsyncs before the Future completes. */
  <T> Future<T> write(Callable<T> op) {
    return run(op, true);
  }

  private <T> Future<T> run(Callable<T> op, boolean mutates) {
    return meters.observe(mutates ? StoreMeters.Operation.WRITE : StoreMeters.Operation.READ, System.nanoTime(),
        runUnobserved(op, mutates));
  }

  private <T> Future<T> runUnobserved(Callable<T> op, boolean mutates) {
    if (closed) {
      return Future.failedFuture(new StoreUnavailableException("the embedded store is closed", null));
    }
    return executor.executeBlocking(() -> {
      MVStore store = mv;
      if (store == null || store.isClosed()) {
        throw new StoreUnavailableException("the embedded store is closed", null);
      }
      try {
        T result = op.call();
        if (mutates) {
          store.commit();
          store.sync();
        }
        return result;
      } catch (Throwable e) {
        if (mutates && !store.isClosed()) {
          store.rollback();
        }
        throw e;
      }
    }, false).timeout(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS).recover(EmbeddedStore::mapFailure);
  }

  private static <T> Future<T> mapFailure(Throwable e) {
    if (e instanceof MVStoreException || e instanceof UncheckedIOException || e instanceof IOException
        || e instanceof java.util.concurrent.TimeoutException) {
      return Future.failedFuture(new StoreUnavailableException("embedded store failure: " + e.getMessage(), e));
    }
    return Future.failedFuture(e);
  }

  // --- map access (store thread only) ---------------------------------------------------------

  /** A map for reading and writing; created when absent. */
  <K, V> MVMap<K, V> map(String name) {
    return mv.openMap(name);
  }

  /** A map for reading only: null when it does not exist, so reads never create empty maps. */
  <K, V> MVMap<K, V> existing(String name) {
    return mv.hasMap(name) ? mv.openMap(name) : null;
  }

  /** Removes a map if it exists (store thread only). */
  void dropMap(String name) {
    if (mv.hasMap(name)) {
      mv.removeMap(name);
    }
  }

  static String tenantMap(String tenant, String kind) {
    return tenantPrefix(tenant) + kind;
  }

  static String tenantPrefix(String tenant) {
    return "t:" + Ids.requireValid(tenant) + ":";
  }

  /** Names of the tenant's maps ({@code t:<tenant>:*}): the inventory of its data (docs/security-controls.md, 8.1.1). */
  public Future<List<String>> namespaceMaps(String tenant) {
    Ids.requireValid(tenant);
    return read(() -> tenantMaps(tenant));
  }

  /** Names of every map of the tenant (its whole namespace). */
  List<String> tenantMaps(String tenant) {
    String prefix = tenantPrefix(tenant);
    List<String> out = new ArrayList<>();
    for (String name : mv.getMapNames()) {
      if (name.startsWith(prefix)) {
        out.add(name);
      }
    }
    out.sort(String::compareTo);
    return out;
  }

  /** Tenant ids that own at least one map. */
  List<String> tenantsWithMaps() {
    java.util.TreeSet<String> out = new java.util.TreeSet<>();
    for (String name : mv.getMapNames()) {
      if (name.startsWith("t:")) {
        out.add(name.substring(2, name.indexOf(':', 2)));
      }
    }
    return new ArrayList<>(out);
  }

  long incrementMeta(String key) {
    MVMap<String, Long> meta = map(G_META);
    Long v = meta.get(key);
    long next = v == null ? 1 : v + 1;
    meta.put(key, next);
    return next;
  }

  /** Sets a meta value to {@code value} unless it is already higher. */
  void raiseMeta(String key, long value) {
    MVMap<String, Long> meta = map(G_META);
    Long v = meta.get(key);
    if (v == null || v < value) {
      meta.put(key, value);
    }
  }

  long meta(String key) {
    MVMap<String, Long> meta = existing(G_META);
    Long v = meta == null ? null : meta.get(key);
    return v == null ? 0 : v;
  }

  Clock clock() {
    return clock;
  }

  /** Iterates the keys of {@code map} that start with {@code prefix}, in order. */
  static <V> Iterable<Map.Entry<String, V>> withPrefix(MVMap<String, V> map, String prefix) {
    if (map == null) {
      return List.of();
    }
    return () -> new Iterator<>() {
      private final Cursor<String, V> cursor = map.cursor(prefix);
      private String key = advance();

      private String advance() {
        if (cursor.hasNext()) {
          String k = cursor.next();
          return k.startsWith(prefix) ? k : null;
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return key != null;
      }

      @Override
      public Map.Entry<String, V> next() {
        Map.Entry<String, V> e = Map.entry(key, cursor.getValue());
        key = advance();
        return e;
      }
    };
  }

  // --- Store ------------------------------------------------------------------------------------

  @Override
  public TenantStore tenants() {
    return tenants;
  }

  @Override
  public ApiKeyStore apiKeys() {
    return apiKeys;
  }

  @Override
  public SiteStore sites() {
    return sites;
  }

  @Override
  public PurgeLog purgeLog() {
    return purgeLog;
  }

  @Override
  public StatsStore stats() {
    return stats;
  }

  @Override
  public PurgeStatusStore purgeStatuses() {
    return purgeStatuses;
  }

  @Override
  public AuditStore audit() {
    return audit;
  }

  @Override
  public EdgeMemberStore edgeMembers() {
    return edgeMembers;
  }

  @Override
  public LogSinkStore logSinks() {
    return logSinks;
  }

  @Override
  public NotificationStore notifications() {
    return notifications;
  }

  @Override
  public AccessStore access() {
    return access;
  }

  @Override
  public Future<Void> ping() {
    return read(() -> null);
  }

  /**
   * Drops every {@code t:<tenant>:*} map and the tenant's entries in the global maps (tenant
   * record, hostname claims, API-key ids, purge records), commits, then rewrites the file so the
   * erased bytes are gone from disk (see the class comment).
   */
  @Override
  public Future<Void> eraseTenant(String tenant) {
    Ids.requireValid(tenant);
    return this.<Void>write(() -> {
      eraseTenantMaps(tenant);
      return null;
    }).compose(v -> executor.executeBlocking(() -> {
      rewriteFile();
      return (Void) null;
    }, false)).recover(EmbeddedStore::mapFailure);
  }

  private void eraseTenantMaps(String tenant) {
    String owner = tenant + "/";
    MVMap<String, String> tenantRecords = map(G_TENANTS);
    tenantRecords.remove(tenant);

    MVMap<String, String> hosts = map(G_HOSTS);
    List<String> claimed = new ArrayList<>();
    for (Iterator<String> it = hosts.keyIterator(null); it.hasNext(); ) {
      String h = it.next();
      if (hosts.get(h).startsWith(owner)) {
        claimed.add(h);
      }
    }
    claimed.forEach(hosts::remove);

    MVMap<String, String> keyIndex = map(G_APIKEYS);
    List<String> keys = new ArrayList<>();
    for (Iterator<String> it = keyIndex.keyIterator(null); it.hasNext(); ) {
      String id = it.next();
      if (tenant.equals(keyIndex.get(id))) {
        keys.add(id);
      }
    }
    keys.forEach(keyIndex::remove);

    MVMap<Long, Boolean> purgeIndex = existing(tenantMap(tenant, EmbeddedPurgeLog.TENANT_INDEX));
    if (purgeIndex != null) {
      MVMap<Long, String> log = map(G_PURGES);
      for (Iterator<Long> it = purgeIndex.keyIterator(null); it.hasNext(); ) {
        Long seq = it.next();
        String json = log.get(seq);
        if (json != null && tenant.equals(Json.decode(json, PurgeRecord.class).tenant())) {
          log.remove(seq);
        }
      }
    }

    boolean hadSites = mv.hasMap(tenantMap(tenant, EmbeddedSites.CURRENT));
    boolean hadSinks = logSinks.hasSinks(tenant);
    for (String name : tenantMaps(tenant)) {
      mv.removeMap(name);
    }
    if (hadSites) {
      incrementMeta(META_EPOCH);
    }
    if (hadSinks) {
      incrementMeta(EmbeddedLogSinks.EPOCH); // logging instances stop shipping the tenant's sinks
    }
  }

  @Override
  public Future<Void> close() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    if (maintenanceTimer >= 0) {
      vertx.cancelTimer(maintenanceTimer);
    }
    return executor.executeBlocking(() -> {
      MVStore store = mv;
      if (store != null && !store.isClosed()) {
        store.close();
      }
      return (Void) null;
    }, false).eventually(executor::close);
  }

  @Override
  public String kind() {
    return "embedded";
  }

  // --- files ----------------------------------------------------------------------------------

  private void openFiles() throws IOException {
    Files.createDirectories(dir);
    restrictPermissions(dir);
    boolean rewrite = recoverFiles();
    mv = openFile(dir.resolve(FILE));
    restrictPermissions(dir.resolve(FILE));
    if (rewrite) {
      rewriteFile();
    }
  }

  /**
   * Finishes a rewrite that a crash interrupted; returns true when the rewrite must be done again.
   * The sequence in {@link #rewriteFile}: write {@code .new}; rename main to {@code .erased};
   * rename {@code .new} to main; shred {@code .erased}. Any prefix of it leaves a state handled
   * here, and main always holds the committed data.
   */
  private boolean recoverFiles() throws IOException {
    Path main = dir.resolve(FILE);
    Path fresh = dir.resolve(FRESH);
    Path erased = dir.resolve(ERASED);
    boolean redo = false;
    if (Files.exists(fresh)) {
      if (Files.exists(main)) {
        // crashed while writing the copy: main is intact and already committed the erase
        Files.delete(fresh);
        redo = true;
      } else {
        // crashed between the two renames: the copy is complete (it was closed before them)
        Files.move(fresh, main, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory();
      }
    }
    if (Files.exists(erased)) {
      shred(erased);
    }
    return redo;
  }

  private static MVStore openFile(Path file) {
    return new MVStore.Builder()
        .fileName(file.toString())
        .autoCommitDisabled()
        .open();
  }

  /** Copies every live map into a fresh file and replaces the old file, which is then shredded. */
  private void rewriteFile() throws IOException {
    Path main = dir.resolve(FILE);
    Path fresh = dir.resolve(FRESH);
    Path erased = dir.resolve(ERASED);
    Files.deleteIfExists(fresh);
    MVStore source = mv;
    MVStore target = openFile(fresh);
    try {
      for (String name : source.getMapNames()) {
        MVMap<Object, Object> from = source.openMap(name);
        MVMap<Object, Object> to = target.openMap(name);
        for (Cursor<Object, Object> c = from.cursor(null); c.hasNext(); ) {
          Object k = c.next();
          to.put(k, c.getValue());
        }
      }
      target.commit();
      target.sync();
      target.close();
    } catch (RuntimeException e) {
      target.closeImmediately();
      Files.deleteIfExists(fresh);
      throw e;
    }
    source.close();
    mv = null;
    try {
      Files.move(main, erased, StandardCopyOption.ATOMIC_MOVE);
      Files.move(fresh, main, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory();
      restrictPermissions(main);
      shred(erased);
    } finally {
      recoverFiles();
      mv = openFile(main);
    }
  }

  /** Overwrites the file with zeros, forces it to disk, and deletes it. */
  static void shred(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
      long pos = 0;
      while (pos < size) {
        zeros.clear();
        zeros.limit((int) Math.min(zeros.capacity(), size - pos));
        pos += ch.write(zeros, pos);
      }
      ch.force(true);
    }
    Files.delete(file);
  }

  private void fsyncDirectory() {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some platforms cannot open a directory; the renames are still atomic there
      LOG.log(System.Logger.Level.DEBUG, "cannot fsync directory " + dir + ": " + e.getMessage());
    }
  }

  private static void restrictPermissions(Path p) {
    if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwx------" : "rw-------"));
    } catch (IOException | UnsupportedOperationException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot restrict permissions of " + p + ": " + e.getMessage());
    }
  }

  // --- housekeeping ---------------------------------------------------------------------------

  private void startMaintenance() {
    maintenanceTimer = vertx.setPeriodic(MAINTENANCE_MS, MAINTENANCE_MS, id -> maintain()
        .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "embedded store maintenance failed", e)));
  }

  /** Drops expired access state and old stats buckets, then compacts sparse chunks. */
  Future<Void> maintain() {
    return this.<Void>write(() -> {
      long now = clock.millis();
      access.sweepExpired(now);
      stats.sweep(now);
      return null;
    }).compose(v -> this.<Void>write(() -> {
      mv.compact(60, 16 << 20);
      return null;
    }));
  }

  static HostnameConflictException conflict(String hostname) {
    return new HostnameConflictException(hostname);
  }
}
