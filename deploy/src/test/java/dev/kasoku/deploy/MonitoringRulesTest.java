package dev.kasoku.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring files in {@code deploy/monitoring}: the alert rules pass {@code promtool check rules}
 * and their unit tests ({@code promtool test rules}, with firing and quiet cases for several alerts);
 * the Grafana dashboard is valid JSON whose panels cover what an SRE looks at first. That every metric
 * name they use is one Kasoku exports is checked against a real scrape in the launcher's
 * {@code PrometheusMetricsTest}. promtool comes from the Debian package {@code prometheus}.
 */
class MonitoringRulesTest {
  static final Path DIR = Path.of("monitoring").toAbsolutePath();
  static final Path RULES = DIR.resolve("kasoku-alerts.yml");
  static final Path RULE_TESTS = DIR.resolve("kasoku-alerts.test.yml");
  static final Path DASHBOARD = DIR.resolve("kasoku-dashboard.json");

  @Test
  void promtoolAcceptsTheAlertRules() throws Exception {
    assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");
  }

  @Test
  void theAlertRulesPassTheirUnitTests() throws Exception {
    assertThat(promtool("test", "rules", RULE_TESTS.toString())).contains("SUCCESS");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theUnitTestsMakeSeveralAlertsFireAndEveryAlertIsDocumented() throws Exception {
    Map<String, Object> tests = new Yaml().load(Files.readString(RULE_TESTS));
    Set<String> firing = new TreeSet<>();
    for (Map<String, Object> t : (List<Map<String, Object>>) tests.get("tests")) {
      for (Map<String, Object> a : (List<Map<String, Object>>) t.get("alert_rule_test")) {
        if (!((List<?>) a.get("exp_alerts")).isEmpty()) {
          firing.add((String) a.get("alertname"));
        }
      }
    }
    assertThat(firing).as("alerts a unit test sees firing").hasSizeGreaterThanOrEqualTo(2);
    Map<String, Object> rules = new Yaml().load(Files.readString(RULES));
    Set<String> alerts = new TreeSet<>();
    for (Map<String, Object> g : (List<Map<String, Object>>) rules.get("groups")) {
      for (Map<String, Object> r : (List<Map<String, Object>>) g.get("rules")) {
        alerts.add((String) r.get("alert"));
        assertThat((Map<String, Object>) r.get("labels")).as(r.get("alert") + " severity").containsKey("severity");
        assertThat((Map<String, Object>) r.get("annotations")).as(r.get("alert") + " annotations")
            .containsKeys("summary", "description");
      }
    }
    assertThat(alerts).containsAll(firing);
    String operations = Files.readString(Path.of("..", "docs", "operations.md"));
    for (String alert : alerts) {
      assertThat(operations).as("docs/operations.md explains " + alert).contains(alert);
    }
  }

  @Test
  void theDashboardHasAPanelForEachSignal() throws Exception {
    JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertThat(d.path("uid").asText()).isNotBlank();
    List<String> exprs = new ArrayList<>();
    for (JsonNode p : d.path("panels")) {
      assertThat(p.path("targets").size()).as("panel " + p.path("title").asText()).isPositive();
      for (JsonNode t : p.path("targets")) {
        exprs.add(t.path("expr").asText());
        assertThat(t.path("expr").asText()).as("a target of " + p.path("title").asText()).isNotBlank();
      }
    }
    String all = String.join("\n", exprs);
    // request rate, hit ratio, origin errors, latency, purge lag, log lag and drops, store errors, members
    assertThat(all).contains("kasoku_edge_requests_total", "cache_status=~\"hit|stale\"", "kasoku_origin_errors_total",
        "kasoku_edge_request_seconds_bucket", "kasoku_origin_request_seconds_bucket",
        "kasoku_purge_apply_lag_seconds_bucket", "kasoku_log_sink_lag_seconds", "kasoku_edge_log_dropped_total",
        "kasoku_store_errors_total", "kasoku_cluster_members");
    assertThat(all).as("no per-tenant label exists to select on").doesNotContain("tenant", "site=");
  }

  private static String promtool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("promtool"));
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("promtool is needed (Debian package prometheus; .ci/run installs it)", e);
    }
    try {
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("promtool " + String.join(" ", args) + ":\n" + out).isZero();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }
}
