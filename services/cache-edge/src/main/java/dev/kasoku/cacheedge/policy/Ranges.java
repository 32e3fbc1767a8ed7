package dev.kasoku.cacheedge.policy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte range requests on a stored full response (RFC 9110 §14).
 *
 * <p>{@link #evaluate} reads a {@code Range} header against the representation length:
 * <ul>
 *   <li>not {@code bytes=} or syntactically invalid: ignore the header, answer 200 (§14.2 "a server
 *       MAY ignore the Range header field"; an invalid ranges-specifier must be ignored);</li>
 *   <li>no satisfiable range: 416 with {@code Content-Range: bytes *&#47;length} (§15.5.17);</li>
 *   <li>more than {@link #MAX_RANGES} ranges, overlapping ranges, or more than two ranges out of
 *       ascending order: serve the whole 200 (§14.2 lets a server ignore "many small ranges" or
 *       "multiple ranges that overlap" — the amplification shapes of CVE-2011-3192);</li>
 *   <li>otherwise one range (206 with Content-Range) or several (206 multipart/byteranges).</li>
 * </ul>
 * A representation of length 0 has no satisfiable byte; its ranges are ignored (200, empty).
 */
public final class Ranges {
  /** Most ranges served in one multipart response. */
  public static final int MAX_RANGES = 16;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Ranges() {}

  /** An inclusive byte range within a representation. */
  public record ByteRange(long first, long last) {
    public long length() {
      return last - first + 1;
    }

    /** The Content-Range value, e.g. {@code bytes 0-499/1234}. */
    public String contentRange(long total) {
      return "bytes " + first + '-' + last + '/' + total;
    }
  }

  public enum Kind { IGNORE, UNSATISFIABLE, SINGLE, MULTIPART }

  /** The result of evaluating a Range header. */
  public record Result(Kind kind, List<ByteRange> ranges, long total) {
    /** Content-Range for 416 ({@code bytes *&#47;total}) or for a single range. */
    public String contentRange() {
      return switch (kind) {
        case UNSATISFIABLE -> "bytes */" + total;
        case SINGLE -> ranges.get(0).contentRange(total);
        default -> null;
      };
    }
  }

  /**
   * Evaluates a Range header against a representation of {@code length} bytes.
   *
   * @param range the Range value (null: no range)
   */
  public static Result evaluate(String range, long length) {
    if (range == null) {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    String r = range.trim();
    if (r.length() < 7 || !r.regionMatches(true, 0, "bytes", 0, 5)) {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    int i = 5;
    while (i < r.length() && r.charAt(i) == ' ') {
      i++;
    }
    if (i >= r.length() || r.charAt(i) != '=') {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    i++;
    List<ByteRange> satisfiable = new ArrayList<>(2);
    int specs = 0;
    int n = r.length();
    while (i <= n) {
      int comma = r.indexOf(',', i);
      int end = comma < 0 ? n : comma;
      String spec = r.substring(i, end).trim();
      i = end + 1;
      if (spec.isEmpty()) {
        if (comma < 0) {
          break;
        }
        continue; // RFC 9110 list syntax allows empty elements
      }
      if (++specs > MAX_RANGES) {
        return new Result(Kind.IGNORE, List.of(), length);
      }
      int dash = spec.indexOf('-');
      if (dash < 0) {
        return new Result(Kind.IGNORE, List.of(), length);
      }
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      if (a.isEmpty()) {
        long suffix = digits(b);
        if (suffix < 0) {
          return new Result(Kind.IGNORE, List.of(), length);
        }
        if (suffix > 0 && length > 0) {
          satisfiable.add(new ByteRange(Math.max(0, length - suffix), length - 1));
        }
      } else {
        long first = digits(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : digits(b);
        if (first < 0 || last < 0 || last < first) {
          return new Result(Kind.IGNORE, List.of(), length);
        }
        if (first < length) {
          satisfiable.add(new ByteRange(first, Math.min(last, length - 1)));
        }
      }
      if (comma < 0) {
        break;
      }
    }
    if (specs == 0) {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    if (length == 0) {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    if (satisfiable.isEmpty()) {
      return new Result(Kind.UNSATISFIABLE, List.of(), length);
    }
    if (satisfiable.size() == 1) {
      return new Result(Kind.SINGLE, List.copyOf(satisfiable), length);
    }
    int descending = 0;
    for (int x = 0; x < satisfiable.size(); x++) {
      for (int y = x + 1; y < satisfiable.size(); y++) {
        ByteRange p = satisfiable.get(x);
        ByteRange q = satisfiable.get(y);
        if (p.first() <= q.last() && q.first() <= p.last()) {
          return new Result(Kind.IGNORE, List.of(), length);
        }
      }
      if (x > 0 && satisfiable.get(x).first() < satisfiable.get(x - 1).first()) {
        descending++;
      }
    }
    if (descending > 2) {
      return new Result(Kind.IGNORE, List.of(), length);
    }
    return new Result(Kind.MULTIPART, List.copyOf(satisfiable), length);
  }

  private static long digits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** A random multipart boundary (RFC 2046 bchars, 24 characters). */
  public static String newBoundary() {
    final String alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char[] c = new char[24];
    for (int i = 0; i < c.length; i++) {
      c[i] = alphabet.charAt(RANDOM.nextInt(alphabet.length()));
    }
    return "kasoku-" + new String(c);
  }

  /**
   * The framing of a multipart/byteranges body (RFC 9110 §14.6): for each part, the bytes to write
   * before the part's content; after the last part, {@link #trailer()}. The engine writes
   * {@code part.head()}, then bytes {@code [first, last]} of the stored body, for each part.
   */
  public record Multipart(String boundary, String contentType, List<Part> parts, byte[] trailer,
                          long contentLength) {
    public record Part(ByteRange range, byte[] head) {}
  }

  /**
   * Builds the framing for several ranges.
   *
   * @param partContentType the stored response's Content-Type (null: none written per part)
   */
  public static Multipart multipart(List<ByteRange> ranges, String partContentType, long total,
                                    String boundary) {
    List<Multipart.Part> parts = new ArrayList<>(ranges.size());
    long len = 0;
    for (int i = 0; i < ranges.size(); i++) {
      ByteRange r = ranges.get(i);
      StringBuilder sb = new StringBuilder(96);
      if (i > 0) {
        sb.append("\r\n");
      }
      sb.append("--").append(boundary).append("\r\n");
      if (partContentType != null) {
        sb.append("Content-Type: ").append(partContentType).append("\r\n");
      }
      sb.append("Content-Range: ").append(r.contentRange(total)).append("\r\n\r\n");
      byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
      parts.add(new Multipart.Part(r, head));
      len += head.length + r.length();
    }
    byte[] trailer = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
    len += trailer.length;
    return new Multipart(boundary, "multipart/byteranges; boundary=" + boundary, List.copyOf(parts),
        trailer, len);
  }
}
