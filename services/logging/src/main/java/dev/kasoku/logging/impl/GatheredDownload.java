package dev.kasoku.logging.impl;

import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages.LogRangeChunk;
import dev.kasoku.common.bus.Messages.LogRangeQuery;
import dev.kasoku.common.http.Replies;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/**
 * One download of a tenant's access log, gathered from every logging instance that may hold records
 * of its range and merged by time, in constant memory.
 *
 * <p><b>Why pull steps over the bus.</b> Each logging instance stores what it took in, in its own
 * directory; no instance can read another's files. The instance that got the HTTP request (this
 * one) asks each instance on its own address ({@link Addresses#logRange}) for one step of about
 * {@value #STEP_BYTES} bytes of formatted lines, and asks for the next step of an instance only once
 * the merge has used up the last one. The position travels in the query, so the answering instances
 * keep nothing between steps, a slow client slows every instance's reading (back-pressure through
 * the pull), and this instance holds at most one step per instance plus one output chunk, whatever
 * the size of the range.
 *
 * <p><b>Order.</b> The merge always takes the line with the smallest {@code ts} among the heads of
 * the instances' streams; each stream is in its instance's storage order (hour by hour, batches as
 * they arrived), so the answer is in time order wherever the instances' own order is, and with one
 * instance it is exactly that instance's storage order.
 *
 * <p><b>Never a silent partial answer.</b> An instance that does not answer a step (gone from the
 * bus, timed out, failed) is dropped from the merge and named: in the {@value #MISSING_HEADER}
 * response header when it failed before the answer started, and always in the trailer of the same
 * name and in a final line of the body ({@code {"incomplete":true,"missingInstances":[...]}} in
 * NDJSON, a line starting with {@code # incomplete:} in the other formats). A failure of this
 * instance itself after the status was sent resets the connection.
 *
 * <p><b>gzip.</b> When the client accepts it, the body is one gzip stream, compressed on a worker
 * chunk by chunk with a sync flush per chunk (so a client sees records while the download runs).
 */
final class GatheredDownload {
  /** Header and trailer naming the instances whose records are missing from the answer. */
  static final String MISSING_HEADER = "Kasoku-Log-Missing";
  /** Header naming the instances whose records the answer gathers. */
  static final String INSTANCES_HEADER = "Kasoku-Log-Instances";
  /** Formatted bytes one instance answers per step. */
  static final int STEP_BYTES = 128 * 1024;
  /** Output gathered before it is written to the client. */
  static final int CHUNK_CHARS = 64 * 1024;
  /** How long one instance may take to answer a step before it is named as missing. */
  static final long STEP_TIMEOUT_MS = 15_000;
  private static final System.Logger LOG = System.getLogger(GatheredDownload.class.getName());

  private final Vertx vertx;
  private final WorkerExecutor worker;
  private final RoutingContext rc;
  private final String tenant;
  private final LogQuery query;
  private final List<Source> sources = new ArrayList<>();
  private final Set<String> missing = new TreeSet<>();
  private final GzipStream gzip;
  private HttpServerResponse resp;
  private volatile boolean gone;

  GatheredDownload(Vertx vertx, WorkerExecutor worker, RoutingContext rc, String tenant, LogQuery query,
                   List<String> instances, boolean gzip) {
    this.vertx = vertx;
    this.worker = worker;
    this.rc = rc;
    this.tenant = tenant;
    this.query = query;
    this.gzip = gzip ? new GzipStream() : null;
    LogRangeQuery first = query.toRange(tenant, STEP_BYTES);
    for (String instance : instances) {
      sources.add(new Source(instance, first));
    }
  }

  /**
   * How long before its last heartbeat an instance may have stored a record: it stores what edges
   * stamped before it took them in, so an instance last seen before {@code from} minus this cannot
   * hold a record of the range (edge clocks may run ahead a little: skew above 1 s is warned of).
   */
  static final Duration LAST_SEEN_MARGIN = Duration.ofMinutes(5);

  /**
   * The instances a download of records from {@code from} on asks: {@code self}, and every
   * registered instance last seen (heartbeat every {@code heartbeat}) late enough to hold some of
   * them. An instance gone for good before the range starts is thus not named as missing.
   */
  static List<String> instancesFor(Map<String, Instant> registered, Instant from,
                                   Duration heartbeat, String self) {
    Instant cutoff = from.minus(heartbeat.multipliedBy(2)).minus(LAST_SEEN_MARGIN);
    TreeSet<String> out = new TreeSet<>();
    out.add(self);
    registered.forEach((id, seen) -> {
      if (!seen.isBefore(cutoff)) {
        out.add(id);
      }
    });
    return new ArrayList<>(out);
  }

  /** Whether an Accept-Encoding header value accepts gzip (a q of 0 refuses it). */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] params = part.trim().split(";");
      String coding = params[0].trim().toLowerCase(Locale.ROOT);
      if (!coding.equals("gzip") && !coding.equals("x-gzip")) {
        continue;
      }
      for (int i = 1; i < params.length; i++) {
        String p = params[i].trim().toLowerCase(Locale.ROOT);
        if (p.startsWith("q=")) {
          try {
            return Double.parseDouble(p.substring(2)) > 0;
          } catch (NumberFormatException e) {
            return false;
          }
        }
      }
      return true;
    }
    return false;
  }

  void start() {
    // the first step of every instance comes before the status, so those missing from the start are named in a header
    fetch().onComplete(ar -> {
      resp = rc.response().setChunked(true).setStatusCode(200)
          .putHeader("Content-Type", query.format().contentType)
          .putHeader(Replies.CACHE_CONTROL, Replies.NO_STORE)
          .putHeader("Trailer", MISSING_HEADER);
      List<String> answering = new ArrayList<>();
      for (Source s : sources) {
        if (!missing.contains(s.instance)) {
          answering.add(s.instance);
        }
      }
      resp.putHeader(INSTANCES_HEADER, String.join(", ", answering));
      if (!missing.isEmpty()) {
        resp.putHeader(MISSING_HEADER, String.join(", ", missing));
      }
      if (gzip != null) {
        resp.putHeader("Content-Encoding", "gzip").putHeader("Vary", "Accept-Encoding");
      }
      resp.closeHandler(v -> gone = true);
      String header = query.header();
      if (header == null) {
        pump();
      } else {
        write(header, false).onSuccess(v -> pump()).onFailure(this::abort);
      }
    });
  }

  /** Asks every instance whose step is used up for its next one; never fails (a failure names it). */
  private Future<Void> fetch() {
    List<Future<?>> steps = new ArrayList<>();
    for (Source s : sources) {
      if (s.needsStep()) {
        steps.add(s.fetch());
      }
    }
    return Future.join(steps).<Void>mapEmpty().otherwiseEmpty();
  }

  /** Merges until a chunk is full or an instance's step is used up, writes it, and goes on. */
  private void pump() {
    if (gone) {
      return;
    }
    StringBuilder out = new StringBuilder(CHUNK_CHARS + 4096);
    boolean needStep = false;
    boolean finished = false;
    while (out.length() < CHUNK_CHARS) {
      Source min = null;
      for (Source s : sources) {
        if (s.needsStep()) {
          needStep = true;
          break;
        }
        if (s.hasLine() && (min == null || s.headTs() < min.headTs())) {
          min = s;
        }
      }
      if (needStep) {
        break;
      }
      if (min == null) {
        finished = true;
        break;
      }
      out.append(min.takeLine());
    }
    if (finished) {
      finish(out);
      return;
    }
    boolean fetchFirst = needStep;
    write(out.toString(), false).compose(v -> fetchFirst ? fetch() : Future.succeededFuture())
        .onSuccess(v -> pump())
        .onFailure(this::abort);
  }

  private void finish(StringBuilder out) {
    if (!missing.isEmpty()) {
      out.append(incompleteLine());
      resp.putTrailer(MISSING_HEADER, String.join(", ", missing));
      LOG.log(System.Logger.Level.WARNING, "log download of tenant " + tenant + " answered without the records of "
          + "logging instances " + missing + " (they did not answer)");
    }
    write(out.toString(), true).onSuccess(v -> {
      if (!gone) {
        resp.end();
      }
    }).onFailure(this::abort);
  }

  private String incompleteLine() {
    String names = String.join(", ", missing);
    if (query.format() == LogQuery.Format.NDJSON) {
      return new JsonObject().put("incomplete", true)
          .put("missingInstances", new JsonArray(new ArrayList<>(missing)))
          .put("detail", "logging instances that did not answer: the records they stored are not in this answer")
          .encode() + "\n";
    }
    return "# incomplete: logging instances " + names + " did not answer; the records they stored are not in this answer\n";
  }

  /** Writes text (compressed when asked), then waits while the client's connection is full. */
  private Future<Void> write(String text, boolean last) {
    if (gone) {
      return Future.succeededFuture();
    }
    Future<Buffer> bytes = gzip == null
        ? Future.succeededFuture(Buffer.buffer(text))
        : worker.executeBlocking(() -> gzip.compress(text, last), false);
    return bytes.compose(b -> {
      if (gone || b.length() == 0) {
        return Future.succeededFuture();
      }
      Future<Void> written = resp.write(b);
      if (!resp.writeQueueFull()) {
        return Future.succeededFuture();
      }
      Promise<Void> drained = Promise.promise();
      resp.drainHandler(v -> drained.tryComplete());
      written.onFailure(drained::tryFail);
      return drained.future();
    });
  }

  private void abort(Throwable e) {
    if (!gone) {
      LOG.log(System.Logger.Level.WARNING, "log download of tenant " + tenant + " cut: " + e.getMessage());
      // the status is sent: cut the connection so the client sees an incomplete answer, not a short one
      resp.reset();
    }
  }

  /** One instance's stream: its current step and where the next one starts. */
  private final class Source {
    final String instance;
    private LogRangeQuery next;
    private LogRangeChunk step;
    private int at;
    private boolean done;

    Source(String instance, LogRangeQuery first) {
      this.instance = instance;
      this.next = first;
    }

    boolean needsStep() {
      return !done && (step == null || at >= step.lines().size());
    }

    boolean hasLine() {
      return step != null && at < step.lines().size();
    }

    long headTs() {
      return step.ts().get(at);
    }

    String takeLine() {
      return step.lines().get(at++);
    }

    Future<Void> fetch() {
      Future<Message<LogRangeChunk>> answer = Addresses.logRange(instance).request(vertx.eventBus(), next,
          new DeliveryOptions().setSendTimeout(STEP_TIMEOUT_MS));
      return answer.<Void>map(m -> {
        step = m.body();
        at = 0;
        if (step.done()) {
          done = true;
        } else {
          next = next.at(step.nextHour(), step.nextPosition());
        }
        return null;
      }).onFailure(e -> {
        LOG.log(System.Logger.Level.WARNING, "logging instance " + instance + " did not answer a log download step of "
            + "tenant " + tenant + ": " + e.getMessage());
        missing.add(instance);
        step = null;
        done = true;
      });
    }
  }

  /** One gzip stream over the whole answer, fed chunk by chunk on a worker (one chunk at a time). */
  private static final class GzipStream {
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream(CHUNK_CHARS);
    private final GZIPOutputStream out;

    GzipStream() {
      try {
        out = new GZIPOutputStream(sink, 8192, true);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    Buffer compress(String text, boolean last) throws IOException {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      if (last) {
        out.finish();
      } else {
        out.flush();
      }
      Buffer b = Buffer.buffer(sink.toByteArray());
      sink.reset();
      return b;
    }
  }
}
