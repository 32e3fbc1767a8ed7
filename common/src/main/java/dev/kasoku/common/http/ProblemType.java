package dev.kasoku.common.http;

/**
 * The stable problem types of the API (RFC 9457 {@code type} member). Clients match on the URI, so
 * a constant here is never renamed; new kinds are added.
 */
public enum ProblemType {
  BAD_REQUEST(400, "bad-request", "The request is malformed"),
  VALIDATION(400, "validation", "The request body or parameters are invalid"),
  UNAUTHORIZED(401, "unauthorized", "Missing or invalid credentials"),
  FORBIDDEN(403, "forbidden", "The credentials do not allow this"),
  NOT_FOUND(404, "not-found", "No such resource"),
  METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed on this resource"),
  CONFLICT(409, "conflict", "The resource is in a conflicting state"),
  PAYLOAD_TOO_LARGE(413, "payload-too-large", "The request body is too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "The request body must be application/json"),
  TOO_MANY_REQUESTS(429, "rate-limited", "Too many requests"),
  INTERNAL(500, "internal", "Internal error"),
  NOT_IMPLEMENTED(501, "not-implemented", "This operation is not served by this deployment"),
  UNAVAILABLE(503, "unavailable", "A dependency is unavailable; retry later");

  /** Base of every problem type URI. */
  public static final String BASE = "https://kasoku.dev/problems/";

  private final int status;
  private final String slug;
  private final String title;

  ProblemType(int status, String slug, String title) {
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String uri() {
    return BASE + slug;
  }

  public String title() {
    return title;
  }
}
