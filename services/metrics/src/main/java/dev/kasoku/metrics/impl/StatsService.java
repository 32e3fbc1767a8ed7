package dev.kasoku.metrics.impl;

import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.store.StatsStore;
import dev.kasoku.common.store.StatsStore.Resolution;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The two read operations of the metrics service: a tenant's series ({@link #stats}) and its monthly
 * usage per site ({@link #usage}). Both read only the tenant named in the path, which the access gate
 * has already checked the caller may see.
 *
 * <p><b>Steps.</b> Each step reads one stored resolution: 1s the 1 s buckets, 1m and 5m the 1 min
 * buckets, 1h the 1 h and 1d the 1 d buckets; {@code from} is moved down and {@code to} up to whole
 * steps (UTC), and the range is bounded per step by the resolution's retention (longer would only
 * answer gaps), so an answer holds at most a few thousand points per field. Every parameter
 * problem is a 400 whose errors name the parameter.
 */
public final class StatsService {
  /** A stats step: the resolution it reads, its length, the longest range and the default range. */
  public enum Step {
    S1("1s", Resolution.SECOND, 1, Duration.ofMinutes(15), Duration.ofMinutes(5)),
    M1("1m", Resolution.MINUTE, 60, Duration.ofDays(8), Duration.ofHours(1)),
    M5("5m", Resolution.MINUTE, 300, Duration.ofDays(8), Duration.ofDays(1)),
    H1("1h", Resolution.HOUR, 3_600, Duration.ofDays(400), Duration.ofDays(7)),
    D1("1d", Resolution.DAY, 86_400, Resolution.DAY.retention(), Duration.ofDays(30));

    final String name;
    final Resolution resolution;
    final int seconds;
    final Duration maxRange;
    final Duration defaultRange;

    Step(String name, Resolution resolution, int seconds, Duration maxRange, Duration defaultRange) {
      this.name = name;
      this.resolution = resolution;
      this.seconds = seconds;
      this.maxRange = maxRange;
      this.defaultRange = defaultRange;
    }

    static Step parse(String s) {
      for (Step step : values()) {
        if (step.name.equals(s)) {
          return step;
        }
      }
      throw invalid("step", "must be one of " + Arrays.stream(values()).map(v -> v.name)
          .collect(Collectors.joining(", ")));
    }
  }

  /** A stats answer: the aligned range, the step, the site (null: every site) and the series. */
  public record StatsAnswer(Instant from, Instant to, String step, String site, Map<String, List<Number>> series) {}

  /** One site's usage in a month. */
  public record SiteUsage(String site, long requests, long bytes, long bytesIn, long originBytes) {}

  /** A month's usage: per site (sites without traffic that month are left out) and in total. */
  public record UsageAnswer(String month, Instant from, Instant to, List<SiteUsage> sites, SiteUsage total) {}

  private final StatsStore stats;
  private final Clock clock;

  public StatsService(StatsStore stats, Clock clock) {
    this.stats = stats;
    this.clock = clock;
  }

  /**
   * The series of the tenant (or of one of its sites). {@code fromParam} and {@code toParam} are
   * RFC 3339 instants or null (default: the step's default range ending now); {@code fieldsParam} is
   * a comma-separated list of field names or null (every field).
   */
  public Future<StatsAnswer> stats(String tenant, String fromParam, String toParam, String stepParam, String site,
                                   String fieldsParam) {
    Step step = stepParam == null || stepParam.isEmpty() ? Step.M1 : Step.parse(stepParam);
    if (site != null && !Ids.isValid(site)) {
      throw invalid("site", "is not a site id");
    }
    List<String> fields = fields(fieldsParam);
    Instant to = alignUp(toParam == null ? clock.instant() : instant("to", toParam), step);
    Instant from = alignDown(fromParam == null ? to.minus(step.defaultRange) : instant("from", fromParam), step);
    if (!from.isBefore(to)) {
      throw invalid("from", "must be before to");
    }
    if (Duration.between(from, to).compareTo(step.maxRange) > 0) {
      throw invalid("from", "the range of step " + step.name + " is at most " + describe(step.maxRange));
    }
    return stats.range(tenant, site, step.resolution, from, to, step.seconds)
        .map(range -> new StatsAnswer(from, to, step.name, site, SeriesFields.compute(range, fields)));
  }

  /** Requests and bytes per site of the tenant for one UTC month ({@code YYYY-MM}; null: this month). */
  public Future<UsageAnswer> usage(String tenant, String monthParam) {
    YearMonth month;
    try {
      month = monthParam == null ? YearMonth.now(clock.withZone(ZoneOffset.UTC)) : YearMonth.parse(monthParam);
    } catch (DateTimeParseException e) {
      throw invalid("month", "must be a month as YYYY-MM");
    }
    Instant from = month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    Instant to = month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    int span = (int) Duration.between(from, to).toSeconds();
    return stats.sites(tenant).compose(sites -> {
      List<String> sorted = sites.stream().sorted().toList();
      List<Future<StatsStore.Range>> reads = new ArrayList<>();
      for (String s : sorted) {
        reads.add(stats.range(tenant, s, Resolution.DAY, from, to, span));
      }
      return Future.all(reads).map(all -> {
        List<SiteUsage> perSite = new ArrayList<>();
        long[] total = new long[4];
        for (int i = 0; i < sorted.size(); i++) {
          StatsStore.Range r = reads.get(i).result();
          if (!r.present()[0]) {
            continue;
          }
          SiteUsage u = new SiteUsage(sorted.get(i), r.of("requests")[0], r.of("bytes")[0], r.of("bytesIn")[0],
              r.of("originBytes")[0]);
          perSite.add(u);
          total[0] += u.requests();
          total[1] += u.bytes();
          total[2] += u.bytesIn();
          total[3] += u.originBytes();
        }
        return new UsageAnswer(month.toString(), from, to, perSite,
            new SiteUsage(null, total[0], total[1], total[2], total[3]));
      });
    });
  }

  private static List<String> fields(String param) {
    if (param == null || param.isBlank()) {
      return SeriesFields.FIELDS;
    }
    List<String> asked = new ArrayList<>();
    for (String f : param.split(",")) {
      String name = f.trim();
      if (!SeriesFields.isField(name)) {
        throw invalid("fields", "unknown field '" + name + "'; known: " + String.join(", ", SeriesFields.FIELDS));
      }
      if (!asked.contains(name)) {
        asked.add(name);
      }
    }
    return asked;
  }

  private static Instant instant(String param, String value) {
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw invalid(param, "must be an RFC 3339 timestamp, e.g. 2026-12-01T10:00:00Z");
    }
  }

  private static Instant alignDown(Instant t, Step step) {
    return Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), step.seconds) * step.seconds);
  }

  private static Instant alignUp(Instant t, Step step) {
    long s = t.getEpochSecond() + (t.getNano() > 0 ? 1 : 0);
    return Instant.ofEpochSecond(Math.floorDiv(s + step.seconds - 1, step.seconds) * step.seconds);
  }

  private static String describe(Duration d) {
    return d.toDays() > 0 ? d.toDays() + " days" : d.toMinutes() + " minutes";
  }

  private static ApiException invalid(String param, String problem) {
    return ApiException.validation(List.of(param + ": " + problem));
  }
}
