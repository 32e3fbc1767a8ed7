package dev.kasoku.cacheedge.engine;

import dev.kasoku.cacheedge.origin.OriginResponse;
import dev.kasoku.cacheedge.policy.CacheStatus;
import dev.kasoku.cacheedge.policy.Conditionals;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.Ranges;
import dev.kasoku.cacheedge.storage.Body;
import dev.kasoku.cacheedge.storage.StoredObject;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Writes one client's answer: interim 103s, then a synthetic answer, an answer from a stored object
 * (status, the client's preconditions, ranges and multipart ranges, HEAD) or an origin response
 * streamed as its body arrives, always with back-pressure (a full write queue pauses the source
 * until it drains). It decides nothing about caching: the request's state machine chooses what to
 * deliver and supplies the Cache-Status.
 *
 * <p>Every answer but a synthetic one carries our {@code Via} element after the ones already there, and a stored answer
 * its {@code Age}. When writing ends, or stops because the client left, {@code done} runs once per
 * answer (the request then releases what it holds and logs).
 */
final class Delivery {
  private static final System.Logger LOG = System.getLogger(Delivery.class.getName());

  private final HttpServerRequest req;
  private final HttpServerResponse resp;
  private final String via;
  private final BooleanSupplier clientGone;
  private final Runnable done;

  // the response being streamed
  private boolean noBody;
  private long declared;
  private long streamedBytes;
  private Buffer last;

  /**
   * @param via our Via element for the client's protocol
   * @param clientGone true once the client connection closed
   * @param done runs when the answer has been written or abandoned
   */
  Delivery(HttpServerRequest req, String via, BooleanSupplier clientGone, Runnable done) {
    this.req = req;
    this.resp = req.response();
    this.via = via;
    this.clientGone = clientGone;
    this.done = done;
  }

  /**
   * A {@code 103 Early Hints} from the origin goes on to the client at once (RFC 9110 §15.2: "A proxy
   * MUST forward 1xx responses unless the proxy itself requested the generation of the 1xx
   * response"), with the same fields a final response would lose removed; it is never stored, and
   * the final response that follows is what the request is. Not to an HTTP/1.0 client ("A server
   * MUST NOT send a 1xx response to an HTTP/1.0 client"), nor once the client's response has begun
   * or the request is {@code over}.
   */
  void earlyHints(MultiMap originFields, boolean over) {
    if (over || clientGone.getAsBoolean() || resp.headWritten() || req.version() == HttpVersion.HTTP_1_0) {
      return;
    }
    MultiMap fields = HttpHeaders.headers();
    Headers.copyForClient(originFields, fields);
    fields.remove(HttpHeaders.CONTENT_LENGTH);
    MultiMap hints = fields;
    if (req.version() == HttpVersion.HTTP_2) {
      // Vert.x puts these names into the HEADERS frame as given, and HTTP/2 field names are lower
      // case (RFC 9113 §8.2.1): an origin's "Link" would fail the frame
      hints = HttpHeaders.headers();
      for (Map.Entry<String, String> e : fields) {
        hints.add(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
      }
    }
    try {
      resp.writeEarlyHints(hints);
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, "early hints not forwarded: {0}", e.toString()); // the final response still is
    }
  }

  /**
   * Our own short text answer (400/405/412/413/414/421/431/500/502/504), never cached downstream;
   * with {@code closeAfter} the connection is closed once it is written.
   */
  void synth(int status, String text, CacheStatus cacheStatus, boolean closeAfter) {
    resp.setStatusCode(status);
    resp.headers().clear();
    resp.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    resp.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    resp.putHeader(CacheStatus.HEADER, cacheStatus.value());
    if (status == 405) {
      resp.putHeader(HttpHeaders.ALLOW, Admission.ALLOWED_METHODS);
    }
    if (closeAfter && req.version() != HttpVersion.HTTP_2) {
      resp.putHeader(HttpHeaders.CONNECTION, "close"); // a connection-specific field is illegal in HTTP/2
    }
    Future<Void> f = resp.end(status + " " + text + "\n");
    if (closeAfter) {
      f.onComplete(ar -> req.connection().close());
    }
    end(f);
  }

  // ---------------------------------------------------------------- from storage

  /**
   * Answers from a stored object whose body the caller retained: 304/412 for preconditions, 206/416
   * for a range of a 200 to a GET, else the stored status with the whole body (none for HEAD).
   */
  void stored(StoredObject o, String method, Instant now, CacheStatus cacheStatus) {
    MultiMap out = resp.headers();
    int status = o.status();
    // the stored head is decoded into a MultiMap only when the request has preconditions
    if ((status < 300 || status == 304) && Conditionals.hasConditionals(req.headers())) {
      MultiMap storedHeaders = o.headers();
      Conditionals.Outcome c = Conditionals.evaluate(method, req.headers(), storedHeaders);
      if (c == Conditionals.Outcome.NOT_MODIFIED) {
        resp.setStatusCode(304);
        Conditionals.copyNotModifiedFields(storedHeaders, out);
        addEdgeHeaders(o, now, cacheStatus);
        end(resp.end());
        return;
      }
      if (c == Conditionals.Outcome.PRECONDITION_FAILED) {
        resp.setStatusCode(412);
        addEdgeHeaders(o, now, cacheStatus);
        end(resp.end());
        return;
      }
    }
    copyStoredHeaders(o, out);
    addEdgeHeaders(o, now, cacheStatus);
    Body body = o.body();
    String range = req.headers().get(Headers.RANGE);
    if (range != null && status == 200 && method.equals("GET")
        && Conditionals.ifRangeAllows(req.headers().get(Headers.IF_RANGE), o.headers())
        && range(Ranges.evaluate(range, body.length()), o, body)) {
      return;
    }
    resp.setStatusCode(status);
    out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(body.length()));
    if (method.equals("HEAD") || status == 204 || status == 304) {
      end(resp.end());
    } else if (body.chunkCount() == 1) {
      end(resp.end(body.chunk(0)));
    } else {
      List<Buffer> parts = new ArrayList<>(body.chunkCount());
      for (int i = 0; i < body.chunkCount(); i++) {
        parts.add(body.chunk(i));
      }
      write(parts, 0);
    }
  }

  /** A 416 or a 206 (one range, or multipart/byteranges); false when the Range is to be ignored. */
  private boolean range(Ranges.Result rr, StoredObject o, Body body) {
    MultiMap out = resp.headers();
    switch (rr.kind()) {
      case UNSATISFIABLE -> {
        resp.setStatusCode(416);
        out.set(HttpHeaders.CONTENT_RANGE, rr.contentRange());
        out.set(HttpHeaders.CONTENT_LENGTH, "0");
        end(resp.end());
        return true;
      }
      case SINGLE -> {
        Ranges.ByteRange br = rr.ranges().get(0);
        resp.setStatusCode(206);
        out.set(HttpHeaders.CONTENT_RANGE, rr.contentRange());
        out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(br.length()));
        write(Arrays.asList(body.slice(br.first(), br.last() + 1)), 0);
        return true;
      }
      case MULTIPART -> {
        Ranges.Multipart mp = Ranges.multipart(rr.ranges(), o.header("content-type"), body.length(),
            Ranges.newBoundary());
        resp.setStatusCode(206);
        out.set(HttpHeaders.CONTENT_TYPE, mp.contentType());
        List<Buffer> parts = new ArrayList<>();
        long total = 0;
        for (Ranges.Multipart.Part p : mp.parts()) {
          parts.add(Buffer.buffer(p.head()));
          total += p.head().length;
          for (Buffer b : body.slice(p.range().first(), p.range().last() + 1)) {
            parts.add(b);
            total += b.length();
          }
        }
        parts.add(Buffer.buffer(mp.trailer()));
        total += mp.trailer().length;
        out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(total));
        write(parts, 0);
        return true;
      }
      default -> {
        return false; // IGNORE: the whole representation
      }
    }
  }

  /**
   * Stored header fields minus framing, Age and the fields consumed by the edge. On HTTP/1.x as
   * {@code AsciiString}s (see {@link StoredObject#forEachAsciiHeader}): the same bytes on the wire,
   * hashed, validated and encoded for less; HTTP/2 keeps the strings (another map, another encoder).
   */
  private void copyStoredHeaders(StoredObject o, MultiMap out) {
    if (req.version() != HttpVersion.HTTP_2 && o.forEachAsciiHeader((n, v) -> {
      if (!NOT_FROM_STORE.contains(n)) {
        out.add(n, v);
      }
    })) {
      return;
    }
    o.forEachHeader((n, v) -> {
      if (!NOT_FROM_STORE.contains(n)) {
        out.add(n, v);
      }
    });
  }

  /** The names {@link #copyStoredHeaders} leaves out: framing, Age, the fields the edge consumes. */
  private static final MultiMap NOT_FROM_STORE = Headers.nameSet(
      List.of("content-length", "transfer-encoding", "age"), Headers.CONSUMED_RESPONSE_HEADERS);

  private void addEdgeHeaders(StoredObject o, Instant now, CacheStatus cacheStatus) {
    MultiMap out = resp.headers();
    out.set(Headers.AGE, Long.toString(Math.max(0, o.freshness().currentAgeMillis(now) / 1000)));
    out.set(CacheStatus.HEADER, cacheStatus.value());
    addVia(out, o.header("via"));
  }

  /** Writes the parts with back-pressure, the last one with the end of the response. */
  private void write(List<Buffer> parts, int from) {
    int i = from;
    while (i < parts.size() - 1) {
      if (clientGone.getAsBoolean()) {
        done.run();
        return;
      }
      resp.write(parts.get(i++));
      if (resp.writeQueueFull()) {
        int next = i;
        resp.drainHandler(v -> write(parts, next));
        return;
      }
    }
    if (clientGone.getAsBoolean()) {
      done.run();
      return;
    }
    end(parts.isEmpty() ? resp.end() : resp.end(parts.get(parts.size() - 1)));
  }

  // ---------------------------------------------------------------- streamed

  /** Writes the head of an origin response (the fields a client may see, ours added). */
  void streamHead(OriginResponse r, String method, CacheStatus cacheStatus) {
    int status = r.statusCode();
    MultiMap out = resp.headers();
    Headers.copyForClient(r.headers(), out);
    resp.setStatusCode(status);
    if (r.statusMessage() != null) {
      resp.setStatusMessage(r.statusMessage());
    }
    out.set(CacheStatus.HEADER, cacheStatus.value());
    addVia(out, out.get(Headers.VIA));
    noBody = method.equals("HEAD") || status == 204 || status == 304 || status < 200;
    if (!noBody && !out.contains(HttpHeaders.CONTENT_LENGTH)) {
      resp.setChunked(true);
    }
    declared = noBody ? -1 : Headers.contentLength(r.headers());
  }

  /**
   * A piece of the streamed body; false when the write queue is full ({@code onDrain} runs once it
   * drained).
   */
  boolean streamData(Buffer data, Runnable onDrain) {
    if (noBody) {
      return true;
    }
    streamedBytes += data.length();
    if (declared >= 0 && streamedBytes >= declared) {
      // the chunk that completes a declared length goes out with the end of the response: one write
      // and one flush instead of two (the origin's end follows it in the same decode)
      last = data;
      return true;
    }
    resp.write(data);
    if (resp.writeQueueFull()) {
      resp.drainHandler(v -> onDrain.run());
      return false;
    }
    return true;
  }

  /** The streamed body is complete. */
  void streamEnd() {
    end(last == null ? resp.end() : resp.end(last));
  }

  // ----------------------------------------------------------------

  /** Our Via element after {@code previous} (the elements already on the message). */
  private void addVia(MultiMap out, String previous) {
    out.set(Headers.VIA, previous == null ? via : previous + ", " + via);
  }

  private void end(Future<Void> f) {
    f.onComplete(ar -> done.run());
  }
}
