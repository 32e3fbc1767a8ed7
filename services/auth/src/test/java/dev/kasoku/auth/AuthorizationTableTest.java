package dev.kasoku.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.kasoku.auth.testing.AuthNode;
import dev.kasoku.auth.testing.AuthSuite;
import dev.kasoku.auth.testing.Http;
import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.security.Access;
import dev.kasoku.common.testing.Await;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The authorisation table: every operation of the contract (docs/openapi.yaml, parsed) × every kind
 * of caller, each answered with the status class this table expects. The table is written here,
 * independently of the contract's {@code x-kasoku-access} rules, and the test also checks that the
 * two agree — so a new endpoint without an entry, or a rule changed in only one place, fails.
 *
 * <p>"Allowed" means: a 2xx for the operations the auth service serves; for operations of services
 * this node does not run, the gate's pass (501 after the checks, or 400 from body validation, which
 * runs after the gate).
 */
public abstract class AuthorizationTableTest extends AuthSuite {

  /**
   * Who calls. Roles are login tokens of tenant A's users; OTHER_ADMIN is tenant B's admin API key,
   * OTHER_ADMIN_TOKEN the login token of tenant B's admin user.
   */
  enum Caller { ADMIN, EDITOR, PURGER, VIEWER, OPERATOR, NONE, INVALID, OTHER_ADMIN, OTHER_ADMIN_TOKEN }

  /** Expected outcome classes. */
  enum Expect { ALLOWED, BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, HIDDEN }

  /** Who may call what: the table under test. */
  static final Map<String, String> RULES = new LinkedHashMap<>();

  static {
    RULES.put("healthz", "public");
    RULES.put("readyz", "public");
    RULES.put("createTenant", "operator");
    RULES.put("deleteTenant", "operator");
    RULES.put("getAccount", "tenant:viewer");
    RULES.put("login", "public");
    RULES.put("logout", "authenticated");
    RULES.put("createSession", "public");
    RULES.put("getSession", "authenticated");
    RULES.put("changePassword", "authenticated");
    RULES.put("listUsers", "tenant:admin");
    RULES.put("createUser", "tenant:admin");
    RULES.put("getUser", "tenant:admin");
    RULES.put("updateUser", "tenant:admin");
    RULES.put("deleteUser", "tenant:admin");
    RULES.put("listApiKeys", "tenant:admin");
    RULES.put("createApiKey", "tenant:admin");
    RULES.put("deleteApiKey", "tenant:admin");
    RULES.put("getIpAllowlist", "tenant:admin");
    RULES.put("putIpAllowlist", "tenant:admin");
    RULES.put("listSites", "tenant:viewer");
    RULES.put("getSite", "tenant:viewer");
    RULES.put("putSite", "tenant:editor");
    RULES.put("deleteSite", "tenant:editor");
    RULES.put("listSiteVersions", "tenant:viewer");
    RULES.put("restoreSiteVersion", "tenant:editor");
    RULES.put("purge", "tenant:purger");
    RULES.put("getPurge", "tenant:purger");
    RULES.put("getLogs", "tenant:viewer");
    RULES.put("getLogSinks", "tenant:viewer");
    RULES.put("putLogSinks", "tenant:admin");
    RULES.put("getLogSettings", "tenant:viewer");
    RULES.put("putLogSettings", "tenant:admin");
    RULES.put("getStats", "tenant:viewer");
    RULES.put("getUsage", "tenant:viewer");
    RULES.put("listNotifications", "tenant:viewer");
    RULES.put("getAudit", "tenant:admin");
    RULES.put("verifyAudit", "tenant:admin");
    RULES.put("verifyAllAudit", "operator");
  }

  /** Operations the auth service serves: "allowed" must be a real 2xx there. */
  static final List<String> SERVED = List.of("createTenant", "deleteTenant", "getAccount", "login", "logout", "createSession",
      "getSession", "changePassword", "listUsers",
      "createUser", "getUser", "updateUser", "deleteUser", "listApiKeys", "createApiKey", "deleteApiKey",
      "getIpAllowlist", "putIpAllowlist", "healthz", "readyz");

  private String tenantA;
  private String adminKeyA;
  private String otherAdminKey;
  private String tenantB;
  private final Map<Caller, String> credentials = new EnumMap<>(Caller.class);

  @BeforeAll
  void createTenantsAndUsers() {
    AuthNode.TenantAdmin a = node.createTenant("Table A");
    tenantA = a.id();
    adminKeyA = a.adminKey();
    AuthNode.TenantAdmin b = node.createTenant("Table B");
    tenantB = b.id();
    otherAdminKey = b.adminKey();
    node.createUser(tenantB, otherAdminKey, "b-admin", PASSWORD, "admin");
    credentials.put(Caller.OTHER_ADMIN_TOKEN, node.token(tenantB, "b-admin", PASSWORD));
    for (TenantRole role : TenantRole.values()) {
      node.createUser(tenantA, adminKeyA, role.id() + "-user", PASSWORD, role.id());
      credentials.put(Caller.valueOf(role.name()), node.token(tenantA, role.id() + "-user", PASSWORD));
    }
    node.createUser(tenantA, adminKeyA, "target", PASSWORD, "viewer");
    credentials.put(Caller.OPERATOR, AuthNode.OPERATOR);
    credentials.put(Caller.INVALID, "not-a-valid-credential-at-all-0000000000");
    credentials.put(Caller.OTHER_ADMIN, otherAdminKey);
  }

  @Test
  void everyContractOperationHasAnEntryAndTheContractDeclaresTheSameRule() {
    OpenAPIContract contract = Await.result(ApiRouter.contract(vertx));
    List<String> missing = new ArrayList<>();
    for (Operation op : contract.operations()) {
      String expected = RULES.get(op.getOperationId());
      if (expected == null) {
        missing.add(op.getOperationId());
        continue;
      }
      assertThat(Access.parse(op.getExtensions().get(Access.EXTENSION)))
          .as("x-kasoku-access of %s", op.getOperationId()).isEqualTo(Access.parse(expected));
      boolean publicInContract = op.getSecurityRequirements().isEmpty()
          || op.getSecurityRequirements().stream().allMatch(r -> r.getNames().isEmpty());
      assertThat(publicInContract).as("security: [] exactly on public operations (%s)", op.getOperationId())
          .isEqualTo("public".equals(expected));
    }
    assertThat(missing).as("operations without an entry in the authorisation table").isEmpty();
    assertThat(contract.operations()).hasSize(RULES.size());
  }

  @Test
  void everyOperationAnswersEveryCallerAsTheTableSays() {
    OpenAPIContract contract = Await.result(ApiRouter.contract(vertx));
    List<String> wrong = new ArrayList<>();
    for (Operation op : contract.operations()) {
      String rule = RULES.get(op.getOperationId());
      if (rule == null) {
        fail("operation " + op.getOperationId() + " has no entry in the table");
      }
      for (Caller caller : Caller.values()) {
        Expect expect = expected(rule, caller);
        Http.Resp r = call(op, caller);
        if (!matches(op.getOperationId(), expect, r)) {
          wrong.add(op.getHttpMethod() + " " + op.getOpenAPIPath() + " (" + op.getOperationId() + ") as " + caller
              + ": expected " + expect + ", got " + r.status() + " " + r.text());
        }
        if (r.status() >= 400) {
          assertThat(r.headers().get("Content-Type")).as("problem+json for %s as %s", op.getOperationId(), caller)
              .startsWith("application/problem+json");
        }
        assertThat(r.headers().get("Cache-Control")).as("Cache-Control of %s as %s (status %s)",
            op.getOperationId(), caller, r.status()).isEqualTo("no-store");
        afterCall(op.getOperationId(), caller, r);
      }
    }
    assertThat(wrong).isEmpty();
  }

  static Expect expected(String rule, Caller caller) {
    Access access = Access.parse(rule);
    if (access.kind() == Access.Kind.PUBLIC) {
      return Expect.ALLOWED;
    }
    if (caller == Caller.NONE || caller == Caller.INVALID) {
      return Expect.UNAUTHORIZED;
    }
    switch (access.kind()) {
      case OPERATOR:
        return caller == Caller.OPERATOR ? Expect.ALLOWED : Expect.FORBIDDEN;
      case AUTHENTICATED:
        // logout ends a login token: the operator credential and API keys are not tokens
        return caller == Caller.OPERATOR || caller == Caller.OTHER_ADMIN ? Expect.BAD_REQUEST : Expect.ALLOWED;
      default:
        if (caller == Caller.OPERATOR) {
          return Expect.FORBIDDEN;
        }
        if (caller == Caller.OTHER_ADMIN || caller == Caller.OTHER_ADMIN_TOKEN) {
          return Expect.HIDDEN;
        }
        return TenantRole.valueOf(caller.name()).atLeast(access.role()) ? Expect.ALLOWED : Expect.FORBIDDEN;
    }
  }

  private boolean matches(String operationId, Expect expect, Http.Resp r) {
    int s = r.status();
    switch (expect) {
      case ALLOWED:
        if (SERVED.contains(operationId)) {
          return s >= 200 && s < 300 || ("readyz".equals(operationId) && s == 503);
        }
        return s == 501 || s == 400 || (s >= 200 && s < 300);
      case BAD_REQUEST:
        return s == 400;
      case UNAUTHORIZED:
        return s == 401;
      case FORBIDDEN:
        return s == 403;
      case HIDDEN:
        return s == 404 && "no such tenant".equals(r.json().getString("detail"));
      default:
        return false;
    }
  }

  private Http.Resp call(Operation op, Caller caller) {
    String id = op.getOperationId();
    String path = op.getOpenAPIPath()
        .replace("{t}", "deleteTenant".equals(id) ? node.createTenant("Doomed").id() : tenantA)
        .replace("{u}", "deleteUser".equals(id) ? freshUser() : "target")
        .replace("{k}", "deleteApiKey".equals(id) ? freshKeyId() : "0000000000000000")
        .replace("{s}", "site-one")
        .replace("{n}", "1")
        .replace("{id}", "purge-one");
    JsonObject body = body(id);
    return http.send(op.getHttpMethod(), path, credentials.get(caller),
        body == null ? null : body.toBuffer(), MultiMap.caseInsensitiveMultiMap());
  }

  private JsonObject body(String operationId) {
    switch (operationId) {
      case "createTenant":
        return new JsonObject().put("name", "Made by the table");
      case "login":
      case "createSession":
        return new JsonObject().put("tenant", tenantA).put("username", "viewer-user").put("password", PASSWORD);
      case "createUser":
        return new JsonObject().put("username", unique("new")).put("password", PASSWORD).put("role", "viewer");
      case "updateUser":
        return new JsonObject().put("role", "viewer");
      case "changePassword":
        return new JsonObject().put("currentPassword", PASSWORD).put("newPassword", TABLE_PASSWORD);
      case "createApiKey":
        return new JsonObject().put("name", "table key").put("role", "viewer");
      case "putIpAllowlist":
        return new JsonObject().put("cidrs", new io.vertx.core.json.JsonArray());
      case "putSite":
      case "purge":
      case "putLogSinks":
      case "putLogSettings":
        return new JsonObject();
      default:
        return null;
    }
  }

  /** Puts back what an allowed call consumed: a logged-out token is replaced by a new login. */
  private void afterCall(String operationId, Caller caller, Http.Resp r) {
    if ("logout".equals(operationId) && r.status() == 204) {
      credentials.put(caller, caller == Caller.OTHER_ADMIN_TOKEN
          ? node.token(tenantB, "b-admin", PASSWORD)
          : node.token(tenantA, caller.name().toLowerCase() + "-user", PASSWORD));
    }
    if ("changePassword".equals(operationId) && r.status() == 200) {
      // the change revoked the caller's token and answered a new one: change the password back with it
      Http.Resp back = http.post("/v1/auth/password", r.json().getString("token"),
          new JsonObject().put("currentPassword", TABLE_PASSWORD).put("newPassword", PASSWORD));
      assertThat(back.status()).as(back.text()).isEqualTo(200);
      credentials.put(caller, back.json().getString("token"));
    }
  }

  /** The password a changePassword call of the table sets (and {@link #afterCall} changes back). */
  private static final String TABLE_PASSWORD = "table-Changed-63-pebble";

  private String freshUser() {
    String name = unique("gone");
    node.createUser(tenantA, adminKeyA, name, PASSWORD, "viewer");
    return name;
  }

  private String freshKeyId() {
    String key = node.apiKey(tenantA, adminKeyA, "viewer");
    return key.substring("ksk_".length(), "ksk_".length() + 16);
  }
}
