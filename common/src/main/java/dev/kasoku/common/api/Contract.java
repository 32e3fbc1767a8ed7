package dev.kasoku.common.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.impl.Utils;

/**
 * Loads the API contract ({@value ApiRouter#CONTRACT} on the classpath) for request validation.
 *
 * <p>Why not {@code OpenAPIContract.from(vertx, path)} directly: vertx-openapi 5.0 refuses a
 * contract whose responses use a media type it cannot validate, and {@code application/problem+json}
 * (RFC 9457, every error response of our API) is one of them. The router validates requests only,
 * never responses, so the response media types it does not know are dropped from the copy it
 * validates with; the document served at {@code /openapi.yaml} stays the full contract. The YAML is
 * read with vertx-openapi's own reader, so both see the same document.
 */
public final class Contract {
  private Contract() {}

  /** The resolved contract, with response media types vertx-openapi cannot handle removed. */
  public static Future<OpenAPIContract> load(Vertx vertx) {
    return Utils.readYamlOrJson(vertx, ApiRouter.CONTRACT)
        .compose(doc -> OpenAPIContract.from(vertx, withValidatableResponsesOnly(doc)));
  }

  /** Removes unsupported media types from every response (operations' and components'). */
  static JsonObject withValidatableResponsesOnly(JsonObject doc) {
    JsonObject copy = doc.copy();
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op && op.getValue("responses") instanceof JsonObject responses) {
          stripResponses(responses);
        }
      }
    }
    JsonObject components = copy.getJsonObject("components", new JsonObject());
    if (components.getValue("responses") instanceof JsonObject responses) {
      stripResponses(responses);
    }
    return copy;
  }

  private static void stripResponses(JsonObject responses) {
    for (String status : responses.fieldNames()) {
      if (responses.getValue(status) instanceof JsonObject response
          && response.getValue("content") instanceof JsonObject content) {
        content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
        if (content.isEmpty()) {
          response.remove("content");
        }
      }
    }
  }
}
