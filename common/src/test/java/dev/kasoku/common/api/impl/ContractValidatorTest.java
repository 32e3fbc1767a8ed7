package dev.kasoku.common.api.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.api.ApiRouter;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Request validation with reused validators, inline for small bodies (the purge benchmark's hot spot). */
class ContractValidatorTest {
  private Vertx vertx;
  private OpenAPIContract contract;
  private ContractValidator validator;

  @BeforeEach
  void load() {
    vertx = Vertx.vertx();
    contract = Await.result(ApiRouter.contract(vertx));
    validator = new ContractValidator(vertx, contract);
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  private static ValidatableRequest purge(JsonObject body) {
    return new ValidatableRequestImpl(Map.of(), Map.of(), Map.of("t", new RequestParameterImpl("acme")),
        Map.of("wait", new RequestParameterImpl("true")), new RequestParameterImpl(body.toBuffer()),
        "application/json");
  }

  @Test
  void aSmallValidBodyIsValidatedBeforeValidateReturns() {
    JsonObject body = new JsonObject().put("urls", new JsonArray().add("https://a.example/x"));
    Future<ValidatedRequest> result = validator.validate(purge(body), "purge", body.toBuffer().length());
    // the library's validator would still be queued on a worker here
    assertThat(result.isComplete()).isTrue();
    assertThat(result.succeeded()).as("%s", result.cause()).isTrue();
    assertThat(result.result().getQuery().get("wait").getBoolean()).isTrue();
    assertThat(result.result().getPathParameters().get("t").getString()).isEqualTo("acme");
  }

  @Test
  void anInvalidBodyIsRefusedInlineAndOnAWorkerAlike() {
    JsonObject bad = new JsonObject().put("urls", new JsonArray()).put("extra", 1);
    Future<ValidatedRequest> inline = validator.validate(purge(bad), "purge", 10);
    assertThat(inline.isComplete()).isTrue();
    assertThat(inline.cause()).isInstanceOf(ValidatorException.class);
    Future<ValidatedRequest> worker = validator.validate(purge(bad), "purge", ContractValidator.INLINE_BODY_BYTES + 1);
    assertThat(Await.failure(worker)).isInstanceOf(ValidatorException.class);
  }

  @Test
  void aLargeBodyIsValidatedOnAWorker() {
    JsonArray urls = new JsonArray();
    for (int i = 0; i < 400; i++) {
      urls.add("https://a.example/" + "p".repeat(40) + "/" + i);
    }
    JsonObject body = new JsonObject().put("urls", urls);
    int size = body.toBuffer().length();
    assertThat(size).isGreaterThan(ContractValidator.INLINE_BODY_BYTES);
    Future<ValidatedRequest> result = validator.validate(purge(body), "purge", size);
    assertThat(Await.result(result).getBody().getJsonObject().getJsonArray("urls")).hasSize(400);
  }

  @Test
  void eachSchemaGetsOneValidator() {
    Operation op = contract.operation("purge");
    var schema = op.getRequestBody().getContent().get("application/json").getSchema();
    ContractValidator.ReusingSchemaRepository repo =
        new ContractValidator.ReusingSchemaRepository(contract.getSchemaRepository());
    assertThat(repo.validator(schema)).isSameAs(repo.validator(schema));
    // the library's own repository builds a new one (copying every schema of the contract) each time
    assertThat(contract.getSchemaRepository().validator(schema))
        .isNotSameAs(contract.getSchemaRepository().validator(schema));
  }
}
