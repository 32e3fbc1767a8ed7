package dev.kasoku.common.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;

/**
 * The control-plane API router of one process, built from the OpenAPI contract
 * ({@code docs/openapi.yaml}, packaged as {@value #CONTRACT} on the classpath) so that request
 * validation comes from the contract and not from hand-written checks.
 *
 * <p>Each service verticle attaches its handlers to the contract's operations by operationId in its
 * {@code start()}; the launcher then calls {@link #build()} once every role is deployed. Operations
 * of roles this process does not run stay without a handler and answer a 404 problem.
 */
public final class ApiRouter {
  /** Classpath location of the contract. */
  public static final String CONTRACT = "openapi.yaml";
  /** Largest accepted request body; bigger ones get 413 problem+json. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  private final Vertx vertx;
  private final RouterBuilder builder;
  private final Router extra;

  private ApiRouter(Vertx vertx, OpenAPIContract contract) {
    this.vertx = vertx;
    this.builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    this.extra = Router.router(vertx);
  }

  /** Loads and resolves the contract. */
  public static Future<ApiRouter> load(Vertx vertx) {
    return Contract.load(vertx).map(c -> new ApiRouter(vertx, c));
  }

  /** The route of a contract operation; fails fast when the operationId is not in the contract. */
  public OpenAPIRoute operation(String operationId) {
    OpenAPIRoute route = builder.getRoute(operationId);
    if (route == null) {
      throw new IllegalArgumentException("operation '" + operationId + "' is not in " + CONTRACT);
    }
    return route;
  }

  /** Routes outside the contract (e.g. /openapi.yaml, /metrics), checked before the contract's. */
  public Router extra() {
    return extra;
  }

  /**
   * Assembles the root router: request ids, body limit, extra routes, contract routes, problems.
   * A contract operation nobody attached a handler to (its role runs in another process) answers a
   * 404 problem without validating the request; left alone, RouterBuilder would answer an empty 503
   * and warn about it at every start.
   */
  public Router build() {
    for (OpenAPIRoute route : builder.getRoutes()) {
      if (route.getHandlers().isEmpty() && route.getFailureHandlers().isEmpty()) {
        route.setDoValidation(false).setDoSecurity(false).addHandler(ctx -> ctx.fail(404));
      }
    }
    Router root = Router.router(vertx);
    root.route().handler(RequestIds.handler());
    root.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    root.route().subRouter(extra);
    root.route().subRouter(builder.createRouter());
    root.route().last().handler(ctx -> ctx.fail(404));
    root.route().failureHandler(Problems.failureHandler());
    return root;
  }
}
