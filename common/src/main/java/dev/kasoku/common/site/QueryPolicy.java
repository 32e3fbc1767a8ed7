package dev.kasoku.common.site;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a site rule treats the query string in the cache key (and, identically, in the request
 * forwarded to the origin): {@code "keep"} (default, parameters sorted by name), {@code "ignore"},
 * {@code {"only": [...]}} or {@code {"except": [...]}} (docs/openapi.yaml, schema SiteConfig).
 *
 * <p>JSON shape: a string for keep/ignore, an object with exactly one key for only/except. A value
 * of any other shape decodes to {@link Mode#INVALID} so that {@link SiteConfig#validate()} can report
 * it together with every other problem instead of failing on the first.
 */
public record QueryPolicy(Mode mode, Set<String> names) {
  public enum Mode { KEEP, IGNORE, ONLY, EXCEPT, INVALID }

  public static final QueryPolicy KEEP = new QueryPolicy(Mode.KEEP, Set.of());
  public static final QueryPolicy IGNORE = new QueryPolicy(Mode.IGNORE, Set.of());

  public QueryPolicy {
    Objects.requireNonNull(mode, "mode");
    names = Collections.unmodifiableSet(new LinkedHashSet<>(names));
  }

  public static QueryPolicy only(String... names) {
    return new QueryPolicy(Mode.ONLY, new LinkedHashSet<>(List.of(names)));
  }

  public static QueryPolicy except(String... names) {
    return new QueryPolicy(Mode.EXCEPT, new LinkedHashSet<>(List.of(names)));
  }

  /** Jackson entry point: accepts every JSON shape, never throws (see the class comment). */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static QueryPolicy fromJson(JsonNode node) {
    if (node == null || node.isNull()) {
      return KEEP;
    }
    if (node.isTextual()) {
      return switch (node.asText()) {
        case "keep" -> KEEP;
        case "ignore" -> IGNORE;
        default -> new QueryPolicy(Mode.INVALID, Set.of());
      };
    }
    if (node.isObject() && node.size() == 1) {
      Map.Entry<String, JsonNode> e = node.fields().next();
      Mode mode = switch (e.getKey()) {
        case "only" -> Mode.ONLY;
        case "except" -> Mode.EXCEPT;
        default -> Mode.INVALID;
      };
      JsonNode list = e.getValue();
      if (mode != Mode.INVALID && list.isArray()) {
        List<String> names = new ArrayList<>();
        for (JsonNode n : list) {
          if (!n.isTextual() || n.asText().isEmpty()) {
            return new QueryPolicy(Mode.INVALID, Set.of());
          }
          names.add(n.asText());
        }
        return new QueryPolicy(mode, new LinkedHashSet<>(names));
      }
    }
    return new QueryPolicy(Mode.INVALID, Set.of());
  }

  @JsonValue
  public Object toJson() {
    return switch (mode) {
      case KEEP -> "keep";
      case IGNORE -> "ignore";
      case ONLY -> Map.of("only", List.copyOf(names));
      case EXCEPT -> Map.of("except", List.copyOf(names));
      case INVALID -> "invalid";
    };
  }
}
