package dev.kasoku.auth;

import dev.kasoku.auth.impl.AllowlistHandlers;
import dev.kasoku.auth.impl.ApiKeyHandlers;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.auth.impl.LoginThrottle;
import dev.kasoku.auth.impl.OperatorBootstrap;
import dev.kasoku.auth.impl.PasswordHasher;
import dev.kasoku.auth.impl.PasswordPolicy;
import dev.kasoku.auth.impl.SessionHandlers;
import dev.kasoku.auth.impl.TenantHandlers;
import dev.kasoku.auth.impl.UserHandlers;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.TenantDeleted;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.security.AccessControl;
import dev.kasoku.common.service.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.function.Function;

/**
 * Entry verticle of the auth service: tenants, users, API keys, login/logout and IP allow-lists.
 *
 * <p>It serves the contract operations of those resources and erases a deleted tenant's access data
 * (consumer of {@link Addresses#TENANT_DELETED}). Request verification itself is not here: it is
 * {@link AccessControl} in common, which runs in every process that serves the API, so no request
 * waits on this service. This service writes the state the gate reads (users, keys, revocation
 * markers, allow-lists) and announces each change on {@link Addresses#ACCESS_CHANGED}.
 *
 * <p>On start it makes sure an operator credential exists ({@link OperatorBootstrap}).
 */
public final class AuthVerticle extends VerticleBase {
  private final ServiceContext ctx;
  private final PasswordHasher.Params hashParams;
  private static final System.Logger LOG = System.getLogger(AuthVerticle.class.getName());
  private static final long BOOTSTRAP_FIRST_RETRY_MS = 500;
  private static final long BOOTSTRAP_MAX_RETRY_MS = 10_000;
  private PasswordHasher hasher;
  private volatile boolean bootstrapped;
  private long bootstrapTimer = -1;

  public AuthVerticle(ServiceContext ctx) {
    this(ctx, PasswordHasher.Params.DEFAULT);
  }

  /** For tests and benchmarks that need other Argon2 costs. */
  public AuthVerticle(ServiceContext ctx, PasswordHasher.Params hashParams) {
    this.ctx = ctx;
    this.hashParams = hashParams;
  }

  @Override
  public Future<?> start() {
    ApiRouter api = ctx.api();
    AccessControl access = api.accessControl();
    hasher = new PasswordHasher(vertx, hashParams);
    AuditTrail audit = new AuditTrail(vertx.eventBus(), ctx.clock());
    Future<String> dummyHash = hasher.hash(UUID.randomUUID().toString());

    TenantHandlers tenants = new TenantHandlers(vertx, ctx.store(), audit, ctx.clock());
    PasswordPolicy policy = new PasswordPolicy();
    SessionHandlers sessions = new SessionHandlers(vertx, ctx.store(), access, hasher, policy,
        new LoginThrottle(ctx.store().access(), ctx.clock()), audit, ctx.clock(), dummyHash,
        ctx.config().trustedProxies());
    UserHandlers users = new UserHandlers(vertx, ctx.store(), hasher, policy, audit, ctx.clock());
    ApiKeyHandlers keys = new ApiKeyHandlers(vertx, ctx.store(), audit, ctx.clock());
    AllowlistHandlers allowlist = new AllowlistHandlers(vertx, ctx.store(), audit);

    attach(api, "createTenant", tenants::create);
    attach(api, "deleteTenant", tenants::delete);
    attach(api, "getAccount", rc -> tenants.account(rc, ctx.config().region(), ctx.config().redisUrl().isPresent()));
    attach(api, "login", sessions::login);
    attach(api, "logout", sessions::logout);
    attach(api, "createSession", sessions::createSession);
    attach(api, "getSession", sessions::session);
    attach(api, "changePassword", sessions::changePassword);
    attach(api, "listUsers", users::list);
    attach(api, "createUser", users::create);
    attach(api, "getUser", users::get);
    attach(api, "updateUser", users::update);
    attach(api, "deleteUser", users::delete);
    attach(api, "listApiKeys", keys::list);
    attach(api, "createApiKey", keys::create);
    attach(api, "deleteApiKey", keys::delete);
    attach(api, "getIpAllowlist", allowlist::get);
    attach(api, "putIpAllowlist", allowlist::put);

    MessageConsumer<TenantDeleted> erasure = Addresses.TENANT_DELETED.consumer(vertx.eventBus(), m -> tenants.erase(m.body().tenant()));
    // The operator bootstrap needs the store; a store that is down at start must not stop the process
    // (it stays alive and not ready, and serves once the store is back), so it is retried in the
    // background and readiness reports it until it has succeeded.
    OperatorBootstrap bootstrap = new OperatorBootstrap(ctx.store().access(), ctx.clock());
    Future<Void> firstAttempt = bootstrapUntilDone(bootstrap, BOOTSTRAP_FIRST_RETRY_MS);
    ctx.health().register("role:auth", () -> bootstrapped
        ? ctx.store().ping()
        : Future.failedFuture("operator bootstrap waits for the store"));
    return Future.all(erasure.completion(), access.ready(), dummyHash, firstAttempt);
  }

  /** Completes after this attempt, successful or not; a failed attempt schedules the next one. */
  private Future<Void> bootstrapUntilDone(OperatorBootstrap bootstrap, long retryMs) {
    return bootstrap.run(ctx.config())
        .onSuccess(v -> bootstrapped = true)
        .recover(e -> {
          LOG.log(System.Logger.Level.WARNING, "operator bootstrap failed (" + e.getMessage()
              + "); retrying in " + retryMs + " ms");
          bootstrapTimer = vertx.setTimer(retryMs,
              t -> bootstrapUntilDone(bootstrap, Math.min(retryMs * 2, BOOTSTRAP_MAX_RETRY_MS)));
          return Future.succeededFuture();
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(bootstrapTimer);
    return hasher == null ? Future.succeededFuture() : hasher.close();
  }

  private static void attach(ApiRouter api, String operationId, Function<RoutingContext, Future<?>> handler) {
    api.operation(operationId).addHandler(async(handler));
  }

  private static Handler<RoutingContext> async(Function<RoutingContext, Future<?>> handler) {
    return ctx -> {
      Future<?> f;
      try {
        f = handler.apply(ctx);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onFailure(ctx::fail);
    };
  }
}
