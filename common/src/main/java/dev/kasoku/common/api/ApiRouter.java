package dev.kasoku.common.api;

import dev.kasoku.common.api.impl.ContractValidator;
import dev.kasoku.common.audit.AuditTrail;
import dev.kasoku.common.config.KasokuConfig;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.http.ProblemType;
import dev.kasoku.common.http.Problems;
import dev.kasoku.common.http.Replies;
import dev.kasoku.common.http.RequestIds;
import dev.kasoku.common.security.Access;
import dev.kasoku.common.security.AccessControl;
import dev.kasoku.common.security.Caller;
import dev.kasoku.common.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control-plane API router of one process, built from the OpenAPI contract
 * ({@code docs/openapi.yaml}, packaged as {@value #CONTRACT} on the classpath) so that request
 * validation and authorisation come from the contract and not from hand-written checks.
 *
 * <p>Every operation gets, in this order: the access gate ({@link AccessControl}, deciding from the
 * operation's {@code x-kasoku-access} rule and leaving the request's {@link Caller} on the context),
 * request validation, then the handlers its service attaches by operationId in its {@code start()}. The gate runs before validation so that an
 * unauthenticated caller learns nothing from validation errors. An operation whose service this
 * process does not run still passes the gate and then answers 501 problem+json. A contract operation
 * without an {@code x-kasoku-access} rule fails {@link #load} — there is no default rule.
 *
 * <p>The gate needs the process's config and store: {@link #bindAccessControl} (called by
 * {@link dev.kasoku.common.service.ServiceContext}'s constructor) supplies them, and {@link #build}
 * refuses to build a router without it (fail closed: no route is ever served unguarded).
 *
 * <p>Every answer of the router, success or problem, carries {@code Cache-Control: no-store}: API
 * answers may hold secrets shown once (a new API key) or one tenant's data, and no shared cache
 * between the client and us may keep them. It is set before any handler runs, so no service can
 * forget it.
 *
 * <p>A refused attempt to change something (any method but GET and HEAD) is an audit event
 * ({@code access.denied}): the caller's tenant sees the attempts made with its credentials.
 * Refused reads are not recorded: they change nothing, and would let anyone flood the trail.
 */
public final class ApiRouter {
  /** Classpath location of the contract. */
  public static final String CONTRACT = "openapi.yaml";
  /** Largest accepted request body; bigger ones get 413 problem+json. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;
  /** Handlers ApiRouter itself puts on every operation (gate, validation). */
  private static final int OWN_HANDLERS = 2;

  private final Vertx vertx;
  private final RouterBuilder builder;
  private final Router extra;
  private final Map<String, Access> rules = new LinkedHashMap<>();
  private volatile AccessControl accessControl;
  private volatile AuditTrail audit;
  private Store boundStore;

  private ApiRouter(Vertx vertx, OpenAPIContract contract) {
    this.vertx = vertx;
    this.builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    this.extra = Router.router(vertx);
    ContractValidator validator = new ContractValidator(vertx, contract);
    RequestExtractor extractor = RequestExtractor.withBodyHandler();
    for (Operation op : contract.operations()) {
      Object rule = op.getExtensions().get(Access.EXTENSION);
      if (rule == null) {
        throw new IllegalStateException("operation '" + op.getOperationId() + "' in " + CONTRACT
            + " has no " + Access.EXTENSION + " rule");
      }
      Access access = Access.parse(rule);
      rules.put(op.getOperationId(), access);
      OpenAPIRoute route = builder.getRoute(op.getOperationId());
      // our own gate replaces the library's security handlers; our validation runs after the gate
      route.setDoSecurity(false).setDoValidation(false);
      route.addHandler(ctx -> gate(ctx, access));
      route.addHandler(validation(extractor, validator, op));
    }
  }

  /** Loads and resolves the contract; fails when an operation has no or an invalid access rule. */
  public static Future<ApiRouter> load(Vertx vertx) {
    return contract(vertx).compose(c -> {
      try {
        return Future.succeededFuture(new ApiRouter(vertx, c));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
  }

  /** The resolved contract as the router validates with it ({@link Contract#load}). */
  public static Future<OpenAPIContract> contract(Vertx vertx) {
    return Contract.load(vertx);
  }

  /** The route of a contract operation; fails fast when the operationId is not in the contract. */
  public OpenAPIRoute operation(String operationId) {
    OpenAPIRoute route = builder.getRoute(operationId);
    if (route == null) {
      throw new IllegalArgumentException("operation '" + operationId + "' is not in " + CONTRACT);
    }
    return route;
  }

  /** The access rule of every contract operation, by operationId (contract order). */
  public Map<String, Access> accessRules() {
    return Map.copyOf(rules);
  }

  /**
   * Binds the access gate to this process's config and store. The first binding wins; binding again
   * with the same store is a no-op (several service contexts may share one router).
   */
  public synchronized AccessControl bindAccessControl(KasokuConfig config, Store store, Clock clock) {
    if (accessControl == null) {
      accessControl = new AccessControl(vertx, config, store, clock);
      audit = new AuditTrail(vertx.eventBus(), clock);
      boundStore = store;
    } else if (boundStore != store) {
      throw new IllegalStateException("the API router is already bound to another store");
    }
    return accessControl;
  }

  /** The bound access gate (token issuing shares its key); throws before binding. */
  public AccessControl accessControl() {
    AccessControl ac = accessControl;
    if (ac == null) {
      throw new IllegalStateException("no access control bound: construct the ServiceContext first");
    }
    return ac;
  }

  /** Routes outside the contract (e.g. /openapi.yaml, /metrics), checked before the contract's. */
  public Router extra() {
    return extra;
  }

  /**
   * Assembles the root router: request ids, body limit, extra routes, contract routes, problems.
   * A contract operation nobody attached a handler to (its role runs in another process) passes the
   * gate and then answers 501 problem+json; left alone, RouterBuilder would answer an empty 503.
   */
  public Router build() {
    accessControl();
    for (OpenAPIRoute route : builder.getRoutes()) {
      if (route.getHandlers().size() == OWN_HANDLERS) {
        String id = route.getOperation().getOperationId();
        route.addHandler(ctx -> ctx.fail(new ApiException(ProblemType.NOT_IMPLEMENTED,
            "operation '" + id + "' is not served by this deployment (its service role is not running)")));
      }
    }
    Router root = Router.router(vertx);
    root.route().handler(RequestIds.handler());
    root.route().handler(ApiRouter::noStore);
    root.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    root.route().subRouter(extra);
    root.route().subRouter(builder.createRouter());
    root.route().last().handler(ctx -> ctx.fail(404));
    root.route().failureHandler(Problems.failureHandler());
    return root;
  }

  private void gate(RoutingContext ctx, Access access) {
    AccessControl ac = accessControl;
    if (ac == null) {
      ctx.fail(new ApiException(ProblemType.UNAVAILABLE, "access control is not ready"));
      return;
    }
    ac.admit(ctx, access).onSuccess(caller -> ctx.next()).onFailure(failure -> {
      auditRefusal(ctx, failure);
      ctx.fail(failure);
    });
  }

  private void auditRefusal(RoutingContext ctx, Throwable failure) {
    HttpMethod method = ctx.request().method();
    if (method == HttpMethod.GET || method == HttpMethod.HEAD || !(failure instanceof ApiException api)) {
      return;
    }
    Caller caller = Caller.of(ctx);
    audit.record(caller, caller.tenant(), "access.denied", method.name() + " " + ctx.request().path(),
        "failure:" + api.status());
  }

  /** Marks the answer {@code no-store} and passes on: the first handlers of every API router. */
  public static void noStore(RoutingContext ctx) {
    ctx.response().putHeader(Replies.CACHE_CONTROL, Replies.NO_STORE);
    ctx.next();
  }

  private static Handler<RoutingContext> validation(RequestExtractor extractor, ContractValidator validator,
                                                    Operation op) {
    return ctx -> extractor.extractValidatableRequest(ctx, op)
        .compose(request -> validator.validate(request, op.getOperationId(), Math.max(0, ctx.body().length())))
        .onSuccess(validated -> {
          ctx.put(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST, validated);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }
}
