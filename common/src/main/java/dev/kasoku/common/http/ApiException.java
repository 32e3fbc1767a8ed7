package dev.kasoku.common.http;

import java.util.List;
import java.util.Map;

/**
 * The one exception type that carries an HTTP outcome. Business code fails its Future with it; the
 * router's failure handler ({@link Problems#failureHandler()}) turns it into problem+json in one place.
 * {@code errors} lists individual problems (for validation: every one found, not just the first);
 * {@code headers} are added to the response (e.g. Retry-After).
 */
public final class ApiException extends RuntimeException {
  private final ProblemType type;
  private final List<String> errors;
  private final Map<String, String> headers;

  public ApiException(ProblemType type, String detail) {
    this(type, detail, List.of(), Map.of());
  }

  public ApiException(ProblemType type, String detail, List<String> errors, Map<String, String> headers) {
    super(detail, null, false, false);
    this.type = type;
    this.errors = List.copyOf(errors);
    this.headers = Map.copyOf(headers);
  }

  public static ApiException notFound(String detail) {
    return new ApiException(ProblemType.NOT_FOUND, detail);
  }

  public static ApiException badRequest(String detail) {
    return new ApiException(ProblemType.BAD_REQUEST, detail);
  }

  public static ApiException validation(List<String> errors) {
    return new ApiException(ProblemType.VALIDATION, String.join("; ", errors), errors, Map.of());
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(ProblemType.FORBIDDEN, detail);
  }

  public static ApiException unauthorized(String detail) {
    return new ApiException(ProblemType.UNAUTHORIZED, detail);
  }

  public static ApiException conflict(String detail) {
    return new ApiException(ProblemType.CONFLICT, detail);
  }

  public ProblemType type() {
    return type;
  }

  public int status() {
    return type.status();
  }

  public List<String> errors() {
    return errors;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
