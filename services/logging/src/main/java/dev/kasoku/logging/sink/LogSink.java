package dev.kasoku.logging.sink;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kasoku.common.config.Sizes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One log sink of a tenant, as stored: every default filled in, header values sealed
 * ({@link SinkDocuments}). The API's form is the same document with {@code id} left out, header
 * values masked and {@code health} added.
 *
 * @param id stays the same while the tenant keeps a sink of this name; cursors belong to it
 * @param name unique within the tenant ([a-z0-9-], 1-63)
 * @param url http sinks: where batches are POSTed (http or https)
 * @param address syslog sinks: {@code host:port}
 * @param headers http sinks: extra request headers, each value sealed
 * @param gzip http sinks: send the body gzip-compressed
 * @param fields the record fields shipped, in record order; empty: all
 * @param sampleRate the share of records shipped, 0 &lt; r ≤ 1 (decided per request id, so a record
 *     read twice is decided the same way)
 * @param period how long a sink waits for more records before it sends a smaller batch
 * @param maxBatchRecords records per batch at most
 * @param tls syslog sinks: RFC 5425 (TLS, the server's certificate verified) instead of plain TCP
 * @param facility syslog sinks: the facility name (local0..local7, user, ...)
 * @param appName syslog sinks: APP-NAME of each message
 * @param caPem optional PEM certificates the sink's TLS server certificate must chain to instead of
 *     the platform's default trust store (a receiver with a private CA)
 * @param maxLag the lag bound in time: records older than this that are still not delivered are
 *     skipped (and announced)
 * @param maxLagBytes the lag bound in stored (compressed) bytes behind the cursor
 * @param createdAt when the sink was first stored: it ships the records of requests from then on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LogSink(String id, String name, Type type, String url, String address, Map<String, String> headers,
                      Boolean gzip, List<String> fields, Double sampleRate, Filter filter, String period,
                      Integer maxBatchRecords, Boolean tls, String facility, String appName, String caPem,
                      String maxLag, Long maxLagBytes, Instant createdAt) {

  /** The sink kinds. */
  public enum Type {
    http, syslog
  }

  /**
   * Which records a sink ships; an empty list lets every value through.
   *
   * @param status codes ("404") or classes ("5xx")
   */
  public record Filter(List<String> sites, List<String> status, List<String> cacheStatus) {
    public Filter {
      sites = sites == null ? List.of() : List.copyOf(sites);
      status = status == null ? List.of() : List.copyOf(status);
      cacheStatus = cacheStatus == null ? List.of() : List.copyOf(cacheStatus);
    }

    public static final Filter ALL = new Filter(List.of(), List.of(), List.of());
  }

  public Duration periodValue() {
    return Sizes.parseDuration(period);
  }

  public Duration maxLagValue() {
    return Sizes.parseDuration(maxLag);
  }

  /** This sink with another id. */
  public LogSink withId(String newId) {
    return new LogSink(newId, name, type, url, address, headers, gzip, fields, sampleRate, filter, period,
        maxBatchRecords, tls, facility, appName, caPem, maxLag, maxLagBytes, createdAt);
  }

  /** This sink with other header values (sealed or masked). */
  public LogSink withHeaders(Map<String, String> newHeaders) {
    return new LogSink(id, name, type, url, address, newHeaders, gzip, fields, sampleRate, filter, period,
        maxBatchRecords, tls, facility, appName, caPem, maxLag, maxLagBytes, createdAt);
  }

  /** The stored list: the document {@code PUT} replaces as a whole. */
  public record Stored(List<LogSink> sinks) {
    public Stored {
      sinks = sinks == null ? List.of() : List.copyOf(sinks);
    }
  }
}
