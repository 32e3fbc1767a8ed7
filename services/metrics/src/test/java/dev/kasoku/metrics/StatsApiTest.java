package dev.kasoku.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.common.bus.Messages.CounterDeltas;
import dev.kasoku.common.bus.Messages.CounterRow;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.model.Ids;
import dev.kasoku.common.model.TenantRole;
import dev.kasoku.common.testing.TestCredentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stats and usage operations over HTTP, behind the real router and access gate: arrays aligned
 * on the step with null for gaps, a 400 problem naming each bad parameter, a tenant reading only its
 * own series, and a month's usage per site.
 */
abstract class StatsApiTest extends MetricsTestBase {
  private final Instant base = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
  private String tenant;
  private String key;

  @BeforeEach
  void tenant() {
    tenant = "t-" + Ids.random(8);
    key = TestCredentials.apiKey(store, tenant, TenantRole.VIEWER);
  }

  private void traffic(String t, String site, Instant at, long seq, Map<String, Long> counters) {
    send(new CounterDeltas("edge-1", "edge-1.api", seq, at, List.of(new CounterRow(t, site, counters, Map.of(),
        Map.of()))));
  }

  private HttpResponse<Buffer> get(String pathAndQuery, String k) {
    return metrics.get(pathAndQuery, k);
  }

  @Test
  void statsAreArraysAlignedOnTheStepWithNullForAGap() {
    traffic(tenant, "www", base.plusSeconds(5), 1, Map.of("requests", 4L, "hits", 3L, "bytes", 400L));
    traffic(tenant, "blog", base.plusSeconds(50), 2, Map.of("requests", 1L, "bytes", 10L));
    traffic(tenant, "www", base.plusSeconds(130), 3, Map.of("requests", 2L, "misses", 2L, "bytes", 20L));

    HttpResponse<Buffer> r = get("/v1/tenants/" + tenant + "/stats?step=1m&from=" + base.plusSeconds(30)
        + "&to=" + base.plusSeconds(200) + "&fields=requests,bytes,hitRatio", key);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("from")).as("moved down to a whole step").isEqualTo(Timestamps.format(base));
    assertThat(body.getString("to")).isEqualTo(Timestamps.format(base.plusSeconds(240)));
    assertThat(body.getString("step")).isEqualTo("1m");
    JsonObject series = body.getJsonObject("series");
    assertThat(series.fieldNames()).containsExactly("requests", "bytes", "hitRatio");
    assertThat(series.getJsonArray("requests")).isEqualTo(new JsonArray().add(5).addNull().add(2).addNull());
    assertThat(series.getJsonArray("bytes")).isEqualTo(new JsonArray().add(410).addNull().add(20).addNull());
    assertThat(series.getJsonArray("hitRatio")).isEqualTo(new JsonArray().add(0.6).addNull().add(0.0).addNull());

    JsonObject www = get("/v1/tenants/" + tenant + "/stats?step=1h&site=www&fields=requests&from=" + base
        + "&to=" + base.plusSeconds(3600), key).bodyAsJsonObject();
    assertThat(www.getString("site")).isEqualTo("www");
    assertThat(www.getJsonObject("series").getJsonArray("requests")).isEqualTo(new JsonArray().add(6));
  }

  @Test
  void withoutFieldsEveryFieldIsAnswered() {
    HttpResponse<Buffer> r = get("/v1/tenants/" + tenant + "/stats?step=5m", key);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject series = r.bodyAsJsonObject().getJsonObject("series");
    assertThat(series.fieldNames()).contains("requests", "status1xx", "status5xx", "edgeP99Ms", "originP50Ms",
        "hitRatio", "byteHitRatio", "originOffload", "deceptionGuard").hasSize(25);
    assertThat(series.getJsonArray("requests").size()).as("a day of 5-minute steps by default").isEqualTo(288);
  }

  @Test
  void badParametersAreAProblemNamingTheParameter() {
    Instant now = Instant.now();
    Map<String, String> cases = Map.of(
        "stats?step=2m", "step",
        "stats?from=yesterday", "from",
        "stats?to=2026-13-01T00:00:00Z", "to",
        "stats?step=1s&from=" + now.minusSeconds(16 * 60) + "&to=" + now, "from",
        "stats?step=1m&from=" + now + "&to=" + now.minusSeconds(3600), "from",
        "stats?fields=requests,nonsense", "fields",
        "stats?site=Not_A_Site", "site",
        "usage?month=2026-13", "month",
        "usage?month=december", "month");
    cases.forEach((query, param) -> {
      HttpResponse<Buffer> r = get("/v1/tenants/" + tenant + "/" + query, key);
      assertThat(r.statusCode()).as(query + ": " + r.bodyAsString()).isEqualTo(400);
      assertThat(r.getHeader("Content-Type")).startsWith("application/problem+json");
      assertThat(r.bodyAsJsonObject().getJsonArray("errors").getString(0)).as(query).startsWith(param + ":");
    });
  }

  @Test
  void aTenantSeesOnlyItsOwnSeries() {
    String other = "o-" + Ids.random(8);
    String otherKey = TestCredentials.apiKey(store, other, TenantRole.VIEWER);
    traffic(tenant, "www", base.plusSeconds(5), 1, Map.of("requests", 4L));
    traffic(other, "www", base.plusSeconds(5), 2, Map.of("requests", 9L));
    String query = "/stats?step=1h&fields=requests&from=" + base + "&to=" + base.plusSeconds(3600);

    assertThat(get("/v1/tenants/" + other + query, otherKey).bodyAsJsonObject().getJsonObject("series")
        .getJsonArray("requests")).isEqualTo(new JsonArray().add(9));
    HttpResponse<Buffer> crossed = get("/v1/tenants/" + tenant + query, otherKey);
    assertThat(crossed.statusCode()).isIn(403, 404);
    assertThat(crossed.bodyAsString()).doesNotContain("series");
    assertThat(get("/v1/tenants/" + tenant + "/usage", otherKey).statusCode()).isIn(403, 404);
    assertThat(get("/v1/tenants/" + tenant + query, null).statusCode()).isEqualTo(401);
  }

  @Test
  void usageSumsTheMonthPerSite() {
    Instant now = Instant.now().minusSeconds(5);
    YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
    traffic(tenant, "www", now, 1, Map.of("requests", 4L, "bytes", 4000L, "bytesIn", 40L, "originBytes", 1000L));
    traffic(tenant, "blog", now, 2, Map.of("requests", 1L, "bytes", 100L));
    traffic(tenant, "www", now.plusSeconds(1), 3, Map.of("requests", 2L, "bytes", 2000L));

    HttpResponse<Buffer> r = get("/v1/tenants/" + tenant + "/usage?month=" + month, key);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("month")).isEqualTo(month.toString());
    assertThat(body.getString("from")).isEqualTo(Timestamps.format(month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC)));
    JsonArray sites = body.getJsonArray("sites");
    assertThat(sites.size()).isEqualTo(2);
    assertThat(sites.getJsonObject(0).getString("site")).isEqualTo("blog");
    assertThat(sites.getJsonObject(1).getMap()).containsEntry("site", "www").containsEntry("requests", 6)
        .containsEntry("bytes", 6000).containsEntry("bytesIn", 40).containsEntry("originBytes", 1000);
    assertThat(body.getJsonObject("total").getMap()).containsEntry("requests", 7).containsEntry("bytes", 6100);

    JsonObject earlier = get("/v1/tenants/" + tenant + "/usage?month=" + month.minusMonths(2), key).bodyAsJsonObject();
    assertThat(earlier.getJsonArray("sites")).isEmpty();
    assertThat(earlier.getJsonObject("total").getLong("requests")).isZero();
  }
}
