package dev.kasoku.cacheedge.policy;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The secondary cache key of a response with {@code Vary} (RFC 9111 §4.1).
 *
 * <p>A stored response names, in Vary, the request fields its content depends on. Its secondary key
 * is the normalised values of those fields in the request that produced it; a later request
 * matches when its own values normalise to the same string. Normalisation (§4.1 allows
 * "normalizing both header field values in a way that is known to have identical semantics"):
 * field lines combined with ", ", leading/trailing whitespace trimmed, runs of whitespace folded
 * to one space; a field absent from the request is distinct from a field present and empty. Field
 * names are lower-cased and sorted so "Vary: A, B" and "Vary: b, a" key alike. Accept-Encoding is
 * normalised further as a set of codings (see {@code appendAcceptEncoding}), Accept-Language as a
 * list of case-insensitive language ranges whose order is kept (see {@code appendAcceptLanguage}).
 *
 * <p>{@code Vary: *} never matches (§4.1): {@link #star()} is true and the response is not stored
 * ({@link Storability}).
 *
 * <p>Key format: for each field {@code name ':' value '\n'} or {@code name '\0' '\n'} when absent;
 * names are tokens (no ':' or NUL) and values have no LF, so the format is unambiguous.
 */
public final class VaryKey {
  /** The secondary key of a response without Vary. */
  public static final String NONE = "";

  private static final VaryKey EMPTY = new VaryKey(List.of(), false);
  private static final VaryKey STAR = new VaryKey(List.of(), true);

  private final List<String> fields;
  private final boolean star;

  private VaryKey(List<String> fields, boolean star) {
    this.fields = fields;
    this.star = star;
  }

  /** Parses the Vary field lines of a response. */
  public static VaryKey of(MultiMap responseHeaders) {
    List<String> lines = responseHeaders.getAll("vary");
    if (lines.isEmpty()) {
      return EMPTY;
    }
    List<String> names = new ArrayList<>(4);
    for (String line : lines) {
      int n = line.length();
      int i = 0;
      while (i < n) {
        int comma = line.indexOf(',', i);
        int end = comma < 0 ? n : comma;
        String name = line.substring(i, end).trim().toLowerCase(Locale.ROOT);
        if (name.equals("*")) {
          return STAR;
        }
        if (!name.isEmpty() && !names.contains(name)) {
          names.add(name);
        }
        i = end + 1;
      }
    }
    if (names.isEmpty()) {
      return EMPTY;
    }
    names.sort(null);
    return new VaryKey(List.copyOf(names), false);
  }

  /** True for {@code Vary: *}: never matches any request. */
  public boolean star() {
    return star;
  }

  /** The lower-cased, sorted field names. */
  public List<String> fields() {
    return fields;
  }

  /** True when the response does not vary (no Vary, or an empty one). */
  public boolean isEmpty() {
    return !star && fields.isEmpty();
  }

  /**
   * The secondary key of {@code requestHeaders} for this Vary; {@link #NONE} when there is no Vary.
   * For {@code Vary: *} returns null (nothing matches).
   */
  public String secondaryKey(MultiMap requestHeaders) {
    if (star) {
      return null;
    }
    if (fields.isEmpty()) {
      return NONE;
    }
    StringBuilder sb = new StringBuilder(64);
    for (String f : fields) {
      sb.append(f);
      List<String> values = requestHeaders.getAll(f);
      if (values.isEmpty()) {
        sb.append('\0');
      } else if (f.equals("accept-encoding")) {
        sb.append(':');
        appendAcceptEncoding(sb, values);
      } else if (f.equals("accept-language")) {
        sb.append(':');
        appendAcceptLanguage(sb, values);
      } else {
        sb.append(':');
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(", ");
          }
          appendFolded(sb, values.get(i));
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** True when a request matches a response stored with {@code storedSecondaryKey}. */
  public boolean matches(String storedSecondaryKey, MultiMap requestHeaders) {
    if (star || storedSecondaryKey == null) {
      return false;
    }
    return storedSecondaryKey.equals(secondaryKey(requestHeaders));
  }

  /**
   * Accept-Encoding is a set of codings with weights, order and case carrying no meaning (RFC 9110
   * §12.5.3), so "gzip, deflate, br" and "br,gzip, deflate" key alike: codings lower-cased,
   * whitespace removed, an explicit q=1 dropped, then sorted and de-duplicated. Browsers spell
   * the same preferences many ways; without this each spelling would be its own variant.
   */
  private static void appendAcceptEncoding(StringBuilder sb, List<String> lines) {
    appendWeighted(sb, lines, true);
  }

  /**
   * Accept-Language is a list of language ranges with weights (RFC 9110 §12.5.4); a range is
   * case-insensitive (RFC 4647 §2) and the whitespace around list elements and parameters is
   * optional (RFC 9110 §5.6.1, §5.6.6), so "en, de" and " eN ,de" key alike, normalised as
   * Accept-Encoding is but for the order, which is kept: between ranges of equal weight many
   * servers take the first as the preferred one, so "de, en" may well select another variant than
   * "en, de".
   */
  private static void appendAcceptLanguage(StringBuilder sb, List<String> lines) {
    appendWeighted(sb, lines, false);
  }

  /**
   * The elements of a weighted list (RFC 9110 §12.4.2) lower-cased, without whitespace, without an
   * explicit q=1 and without exact repeats, in their order or sorted.
   */
  private static void appendWeighted(StringBuilder sb, List<String> lines, boolean sorted) {
    List<String> elements = new ArrayList<>(6);
    for (String line : lines) {
      for (String part : line.split(",")) {
        StringBuilder c = new StringBuilder(part.length());
        for (int i = 0; i < part.length(); i++) {
          char ch = part.charAt(i);
          if (!isWs(ch)) {
            c.append(Character.toLowerCase(ch));
          }
        }
        String t = c.toString();
        int semi = t.indexOf(';');
        if (semi >= 0 && isQOne(t.substring(semi + 1))) {
          t = t.substring(0, semi);
        }
        if (!t.isEmpty() && !elements.contains(t)) {
          elements.add(t);
        }
      }
    }
    if (sorted) {
      elements.sort(null);
    }
    for (int i = 0; i < elements.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(elements.get(i));
    }
  }

  /** "q=1", "q=1.", "q=1.0", "q=1.00", "q=1.000" (RFC 9110 §12.4.2 qvalue of 1). */
  private static boolean isQOne(String q) {
    if (!q.startsWith("q=1") || q.length() > 7) {
      return false;
    }
    if (q.length() == 3) {
      return true;
    }
    if (q.charAt(3) != '.') {
      return false;
    }
    for (int i = 4; i < q.length(); i++) {
      if (q.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  private static void appendFolded(StringBuilder sb, String v) {
    int start = 0;
    int end = v.length();
    while (start < end && isWs(v.charAt(start))) {
      start++;
    }
    while (end > start && isWs(v.charAt(end - 1))) {
      end--;
    }
    boolean ws = false;
    for (int i = start; i < end; i++) {
      char c = v.charAt(i);
      if (isWs(c)) {
        ws = true;
      } else {
        if (ws) {
          sb.append(' ');
          ws = false;
        }
        sb.append(c == '\n' ? ' ' : c);
      }
    }
  }

  private static boolean isWs(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  @Override
  public String toString() {
    return star ? "Vary[*]" : "Vary" + fields;
  }
}
