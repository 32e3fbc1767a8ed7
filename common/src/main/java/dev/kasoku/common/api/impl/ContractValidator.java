package dev.kasoku.common.api.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.file.FileSystem;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaException;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import io.vertx.openapi.validation.impl.ValidatedRequestImpl;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Request validation against the contract, without the two costs of vertx-openapi's own
 * {@code RequestValidatorImpl} that the purge benchmark found dominating the API process's CPU.
 *
 * <p><b>Validators are built once per schema.</b> The library asks its schema repository for a new
 * {@link Validator} for every parameter and body of every request, and each one copies the
 * repository's whole look-up table (every schema of the contract) into a fresh map. A validator is
 * immutable, so this class hands out one per schema, made on first use and kept (the contract's
 * schemas are a fixed set; the cache is keyed by the schema object's identity).
 *
 * <p><b>Small requests are validated where they arrive.</b> The library runs every validation
 * through {@code executeBlocking} ordered on the caller's context, so all requests of one event
 * loop queue behind one another on one worker, with two thread hand-offs each. Validating a small
 * body with a ready validator takes microseconds, less than the hand-offs; bodies above
 * {@link #INLINE_BODY_BYTES} still go to a worker, unordered (requests do not depend on each
 * other's validation), so a large purge list never holds an event loop.
 *
 * <p>The per-request steps are the library's own ({@link #validateParameter}, {@link #validateBody});
 * only the scheduling and the validator reuse differ.
 */
public final class ContractValidator extends RequestValidatorImpl {
  /** Bodies up to this size are validated on the calling thread. */
  public static final int INLINE_BODY_BYTES = 16 * 1024;

  private final Vertx vertx;

  public ContractValidator(Vertx vertx, OpenAPIContract contract) {
    super(vertx, new ReusingContract(contract));
    this.vertx = vertx;
  }

  /**
   * Validates the request: at once (the returned future is already complete) when its body has at
   * most {@link #INLINE_BODY_BYTES}, else on a worker.
   */
  public Future<ValidatedRequest> validate(ValidatableRequest request, String operationId, int bodyBytes) {
    return getOperation(operationId).compose(op -> {
      if (bodyBytes <= INLINE_BODY_BYTES) {
        try {
          return Future.succeededFuture(validateNow(request, op));
        } catch (RuntimeException e) {
          return Future.failedFuture(e);
        }
      }
      return vertx.executeBlocking(() -> validateNow(request, op), false);
    });
  }

  @Override
  public Future<ValidatedRequest> validate(ValidatableRequest request, String operationId) {
    return validate(request, operationId, Integer.MAX_VALUE);
  }

  /** The library's validation steps, in its order. */
  private ValidatedRequest validateNow(ValidatableRequest request, Operation op) {
    Map<String, RequestParameter> cookies = new HashMap<>(request.getCookies().size());
    Map<String, RequestParameter> headers = new HashMap<>(request.getHeaders().size());
    Map<String, RequestParameter> path = new HashMap<>(request.getPathParameters().size());
    Map<String, RequestParameter> query = new HashMap<>(request.getQuery().size());
    for (Parameter p : op.getParameters()) {
      switch (p.getIn()) {
        case COOKIE -> cookies.put(p.getName(), validateParameter(p, request.getCookies().get(p.getName())));
        case HEADER -> headers.put(p.getName(), validateParameter(p, request.getHeaders().get(p.getName())));
        case PATH -> path.put(p.getName(), validateParameter(p, request.getPathParameters().get(p.getName())));
        case QUERY -> query.put(p.getName(), validateParameter(p, request.getQuery().get(p.getName())));
        default -> { }
      }
    }
    RequestParameter body = validateBody(op.getRequestBody(), request);
    return new ValidatedRequestImpl(cookies, headers, path, query, body);
  }

  /** The contract, with a schema repository that reuses validators. */
  private static final class ReusingContract implements OpenAPIContract {
    private final OpenAPIContract delegate;
    private final SchemaRepository schemas;

    ReusingContract(OpenAPIContract delegate) {
      this.delegate = delegate;
      this.schemas = new ReusingSchemaRepository(delegate.getSchemaRepository());
    }

    @Override
    public Operation operation(String operationId) {
      return delegate.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
      return delegate.operations();
    }

    @Override
    public List<Path> getPaths() {
      return delegate.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
      return delegate.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
      return delegate.getVersion();
    }

    @Override
    public SchemaRepository getSchemaRepository() {
      return schemas;
    }

    @Override
    public List<Server> getServers() {
      return delegate.getServers();
    }

    @Override
    public Path findPath(String urlPath) {
      return delegate.findPath(urlPath);
    }

    @Override
    public Operation findOperation(String urlPath, HttpMethod method) {
      return delegate.findOperation(urlPath, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
      return delegate.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
      return delegate.securityScheme(name);
    }
  }

  /** Delegates everything; {@link #validator(JsonSchema)} is made once per schema object. */
  static final class ReusingSchemaRepository implements SchemaRepository {
    /** More distinct schemas than a contract has means something builds them per call: stop caching. */
    static final int MAX_CACHED = 10_000;
    private final SchemaRepository delegate;
    private final Map<Identity, Validator> validators = new ConcurrentHashMap<>();

    ReusingSchemaRepository(SchemaRepository delegate) {
      this.delegate = delegate;
    }

    /** Identity of a schema object (JsonSchema's equals compares whole documents). */
    private record Identity(JsonSchema schema) {
      @Override
      public boolean equals(Object o) {
        return o instanceof Identity other && other.schema == schema;
      }

      @Override
      public int hashCode() {
        return System.identityHashCode(schema);
      }
    }

    @Override
    public Validator validator(JsonSchema schema) {
      Identity key = new Identity(schema);
      Validator cached = validators.get(key);
      if (cached != null) {
        return cached;
      }
      Validator made = delegate.validator(schema);
      if (validators.size() < MAX_CACHED) {
        validators.putIfAbsent(key, made);
      }
      return made;
    }

    @Override
    public SchemaRepository dereference(JsonSchema schema) throws SchemaException {
      return delegate.dereference(schema);
    }

    @Override
    public SchemaRepository dereference(String uri, JsonSchema schema) throws SchemaException {
      return delegate.dereference(uri, schema);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs) {
      return delegate.preloadMetaSchema(fs);
    }

    @Override
    public SchemaRepository preloadMetaSchema(FileSystem fs, Draft draft) {
      return delegate.preloadMetaSchema(fs, draft);
    }

    @Override
    public Validator validator(String ref) {
      return delegate.validator(ref);
    }

    @Override
    public Validator validator(String ref, JsonSchemaOptions options) {
      return delegate.validator(ref, options);
    }

    @Override
    public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
      return delegate.validator(schema, options, dereference);
    }

    @Override
    public JsonObject resolve(JsonObject schema) {
      return delegate.resolve(schema);
    }

    @Override
    public JsonSchema find(String uri) {
      return delegate.find(uri);
    }
  }
}
