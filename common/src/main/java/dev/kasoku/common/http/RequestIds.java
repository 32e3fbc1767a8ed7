package dev.kasoku.common.http;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request ids: taken from an incoming {@code X-Request-Id} when it is well formed (so a caller's id
 * follows the request through our logs), generated otherwise, echoed on the response and carried as
 * a header on the event-bus messages sent on the request's behalf.
 */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  private static final String KEY = "kasoku.requestId";
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private RequestIds() {}

  /** Route handler to install first on every router. */
  public static Handler<RoutingContext> handler() {
    return ctx -> {
      String id = ctx.request().getHeader(HEADER);
      if (id == null || !VALID.matcher(id).matches()) {
        id = newId();
      }
      ctx.put(KEY, id);
      ctx.response().putHeader(HEADER, id);
      ctx.next();
    };
  }

  public static String newId() {
    return UUID.randomUUID().toString();
  }

  /** The request's id, or null outside a request. */
  public static String get(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  /** Delivery options that carry the request id to bus consumers. */
  public static DeliveryOptions deliveryOptions(RoutingContext ctx) {
    DeliveryOptions options = new DeliveryOptions();
    String id = get(ctx);
    if (id != null) {
      options.addHeader(HEADER, id);
    }
    return options;
  }
}
