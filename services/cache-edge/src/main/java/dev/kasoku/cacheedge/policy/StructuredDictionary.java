package dev.kasoku.cacheedge.policy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Structured Field Dictionary (RFC 8941 §3.2), parsed strictly as RFC 8941 §4.2.2 says: any
 * departure from the grammar fails the whole field ("fail parsing" means the field is ignored,
 * §4.2), there is no partial result. Used for the targeted cache fields, which RFC 9213 §2.1 defines
 * as Dictionaries ("If a targeted field in a given response is empty, or a parsing error is
 * encountered, that field SHOULD be ignored by the cache").
 *
 * <p>Members keep their order; a key given twice keeps its last value (§4.2.2: "overwrite"). Bare
 * items are {@link Long} (Integer), {@link BigDecimal} (Decimal), {@link String} (String),
 * {@link Token}, {@code byte[]} (Byte Sequence) and {@link Boolean}. Only the types of RFC 8941 are
 * known: a Date or Display String of later revisions is a parsing error here.
 */
public final class StructuredDictionary {
  /** A Token bare item (kept apart from String: RFC 8941 §3.3.4). */
  public record Token(String value) {}

  /** An Item: a bare item with its parameters (RFC 8941 §3.3). */
  public record Item(Object value, Map<String, Object> parameters) {}

  /** An Inner List: items with the list's parameters (RFC 8941 §3.1.1). */
  public record InnerList(List<Item> items, Map<String, Object> parameters) {}

  private final String s;
  private int i;

  private StructuredDictionary(String s) {
    this.s = s;
  }

  /**
   * Parses the field lines of one field, combined as RFC 8941 §4.2 asks ("combine all field lines
   * with the same name into one comma-separated field value").
   *
   * @return the members ({@link Item} or {@link InnerList} values), empty for an empty field; null
   *     when parsing fails
   */
  public static Map<String, Object> parse(List<String> lines) {
    return parse(String.join(", ", lines));
  }

  /** Parses one field value; null when it is not a Dictionary. */
  public static Map<String, Object> parse(String value) {
    if (value == null) {
      return null;
    }
    for (int k = 0; k < value.length(); k++) {
      if (value.charAt(k) > 0x7e) {
        return null; // §4.2: "fail parsing" on input that is not ASCII
      }
    }
    StructuredDictionary p = new StructuredDictionary(value);
    try {
      p.skipSp(); // §4.2 step 2: "Discard any leading SP characters"
      Map<String, Object> members = p.dictionary();
      p.skipSp();
      return p.i == value.length() ? members : null;
    } catch (Invalid e) {
      return null;
    }
  }

  /** Thrown (without a stack) where the grammar is broken; caught by {@link #parse(String)}. */
  private static final class Invalid extends RuntimeException {
    Invalid() {
      super(null, null, false, false);
    }
  }

  private static final Invalid INVALID = new Invalid();

  // §4.2.2 Parsing a Dictionary
  private Map<String, Object> dictionary() {
    Map<String, Object> out = new LinkedHashMap<>();
    while (!end()) {
      String key = key();
      Object member;
      if (peek() == '=') {
        i++;
        member = itemOrInnerList();
      } else {
        member = new Item(Boolean.TRUE, parameters());
      }
      out.remove(key); // a repeated key is overwritten and takes its new place
      out.put(key, member);
      skipOws();
      if (end()) {
        return out;
      }
      if (s.charAt(i) != ',') {
        throw INVALID;
      }
      i++;
      skipOws();
      if (end()) {
        throw INVALID; // a trailing comma
      }
    }
    return out;
  }

  private Object itemOrInnerList() {
    return peek() == '(' ? innerList() : item();
  }

  // §4.2.1.2 Parsing an Inner List
  private InnerList innerList() {
    i++; // '('
    List<Item> items = new ArrayList<>();
    while (!end()) {
      skipSp();
      if (peek() == ')') {
        i++;
        return new InnerList(Collections.unmodifiableList(items), parameters());
      }
      items.add(item());
      char c = peek();
      if (c != ' ' && c != ')') {
        throw INVALID;
      }
    }
    throw INVALID; // no closing parenthesis
  }

  // §4.2.3 Parsing an Item
  private Item item() {
    Object bare = bareItem();
    return new Item(bare, parameters());
  }

  // §4.2.3.1 Parsing a Bare Item
  private Object bareItem() {
    char c = peek();
    if (c == '-' || isDigit(c)) {
      return number();
    }
    if (c == '"') {
      return string();
    }
    if (c == '*' || isAlpha(c)) {
      return token();
    }
    if (c == ':') {
      return byteSequence();
    }
    if (c == '?') {
      return bool();
    }
    throw INVALID;
  }

  // §4.2.3.2 Parsing Parameters
  private Map<String, Object> parameters() {
    Map<String, Object> out = null;
    while (peek() == ';') {
      i++;
      skipSp();
      String key = key();
      Object value = Boolean.TRUE;
      if (peek() == '=') {
        i++;
        value = bareItem();
      }
      if (out == null) {
        out = new LinkedHashMap<>();
      }
      out.remove(key);
      out.put(key, value);
    }
    return out == null ? Map.of() : out;
  }

  // §4.2.3.3 Parsing a Key: ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
  private String key() {
    char c = peek();
    if (!(c >= 'a' && c <= 'z') && c != '*') {
      throw INVALID;
    }
    int start = i;
    while (!end()) {
      c = s.charAt(i);
      if ((c >= 'a' && c <= 'z') || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
        i++;
      } else {
        break;
      }
    }
    return s.substring(start, i);
  }

  // §4.2.4 Parsing an Integer or Decimal
  private Object number() {
    int start = i;
    boolean negative = peek() == '-';
    if (negative) {
      i++;
    }
    if (!isDigit(peek())) {
      throw INVALID;
    }
    int digitsStart = i;
    int dot = -1;
    while (!end()) {
      char c = s.charAt(i);
      if (isDigit(c)) {
        i++;
      } else if (c == '.' && dot < 0) {
        if (i - digitsStart > 12) {
          throw INVALID; // more than 12 integer digits in a Decimal
        }
        dot = i;
        i++;
      } else {
        break;
      }
      int len = i - digitsStart;
      if ((dot < 0 && len > 15) || (dot >= 0 && len > 16)) {
        throw INVALID;
      }
    }
    if (dot < 0) {
      return Long.parseLong(s.substring(start, i));
    }
    int fraction = i - dot - 1;
    if (fraction < 1 || fraction > 3) {
      throw INVALID; // "1." or more than three fractional digits
    }
    return new BigDecimal(s.substring(start, i));
  }

  // §4.2.5 Parsing a String
  private String string() {
    i++; // '"'
    StringBuilder sb = new StringBuilder();
    while (!end()) {
      char c = s.charAt(i++);
      if (c == '\\') {
        if (end()) {
          throw INVALID;
        }
        char next = s.charAt(i++);
        if (next != '"' && next != '\\') {
          throw INVALID;
        }
        sb.append(next);
      } else if (c == '"') {
        return sb.toString();
      } else if (c < 0x20 || c > 0x7e) {
        throw INVALID;
      } else {
        sb.append(c);
      }
    }
    throw INVALID; // no closing quote
  }

  // §4.2.6 Parsing a Token: ( ALPHA / "*" ) *( tchar / ":" / "/" )
  private Token token() {
    int start = i++;
    while (!end() && (isTchar(s.charAt(i)) || s.charAt(i) == ':' || s.charAt(i) == '/')) {
      i++;
    }
    return new Token(s.substring(start, i));
  }

  // §4.2.7 Parsing a Byte Sequence
  private byte[] byteSequence() {
    i++; // ':'
    int start = i;
    while (!end() && s.charAt(i) != ':') {
      char c = s.charAt(i);
      if (!isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=') {
        throw INVALID;
      }
      i++;
    }
    if (end()) {
      throw INVALID;
    }
    String b64 = s.substring(start, i++);
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw INVALID;
    }
  }

  // §4.2.8 Parsing a Boolean
  private Boolean bool() {
    i++; // '?'
    char c = peek();
    if (c == '1' || c == '0') {
      i++;
      return c == '1';
    }
    throw INVALID;
  }

  private boolean end() {
    return i >= s.length();
  }

  /** The next character, or NUL at the end (no grammar rule starts with NUL). */
  private char peek() {
    return end() ? 0 : s.charAt(i);
  }

  private void skipSp() {
    while (!end() && s.charAt(i) == ' ') {
      i++;
    }
  }

  private void skipOws() {
    while (!end() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** RFC 9110 §5.6.2 tchar. */
  private static boolean isTchar(char c) {
    return isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
