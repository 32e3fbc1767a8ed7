package dev.kasoku.launcher.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/**
 * The metric names the monitoring files of {@code deploy/monitoring} use: every PromQL expression of the
 * Grafana dashboard's targets and of the alert rules, reduced to its metric names (strings, label
 * matchers, ranges and grouping clauses taken out; functions, keywords and Grafana variables left
 * out).
 */
final class MonitoringNames {
  static final Path DIR = Path.of("..", "deploy", "monitoring");
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
      "bool", "and", "or", "unless", "offset", "inf", "nan");
  private static final Pattern IDENT = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");

  private MonitoringNames() {}

  /** Metric names used by the dashboard and the alert rules, with where each is used. */
  static Map<String, Set<String>> used() throws IOException {
    Map<String, Set<String>> out = new java.util.TreeMap<>();
    JsonObject dashboard = new JsonObject(Files.readString(DIR.resolve("kasoku-dashboard.json")));
    for (Object p : dashboard.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) p;
      for (Object t : panel.getJsonArray("targets", new JsonArray())) {
        add(out, ((JsonObject) t).getString("expr"), "dashboard panel " + panel.getString("title"));
      }
    }
    Map<String, Object> rules = new Yaml().load(Files.readString(DIR.resolve("kasoku-alerts.yml")));
    for (Object g : (List<?>) rules.get("groups")) {
      for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
        Map<?, ?> rule = (Map<?, ?>) r;
        add(out, (String) rule.get("expr"), "alert " + rule.get("alert"));
      }
    }
    return out;
  }

  private static void add(Map<String, Set<String>> out, String expr, String where) {
    for (String name : metricNames(expr)) {
      out.computeIfAbsent(name, n -> new TreeSet<>()).add(where);
    }
  }

  /** The metric names of one PromQL expression. */
  static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\$\\{?\\w+}?", " ");
    Set<String> out = new TreeSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
        out.add(m.group(1));
      }
    }
    return out;
  }
}
