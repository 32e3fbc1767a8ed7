package dev.kasoku.cacheedge.storage;

import dev.kasoku.cacheedge.policy.Freshness;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.policy.VaryKey;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * One stored response: the key it is stored under, the response head, its {@link Freshness}
 * computed once when it arrived (so a hit is a few comparisons, not a header parse), and its
 * {@link Body}. Immutable once stored; a 304 update or a soft purge stores a new instance sharing
 * the body ({@link #withHead}, {@link #markedStale}).
 *
 * <h2>Why the head is one byte array</h2>
 * A full cache holds around a million small objects, and young-collection pause time grows with
 * the number of live heap objects the collector has to scan, not with their bytes. Kept as a
 * {@code MultiMap}, a typical head of nine fields is about 45 heap objects (an entry, a name
 * {@code String} and a value {@code String} per field, each string with its own array); packed
 * here it is one {@code byte[]}. The fields are decoded when they are read: {@link #headers()}
 * builds a fresh {@code MultiMap} per call (for the rare paths: 304 merges, revalidation),
 * {@link #forEachHeader} and {@link #header} read the array directly for the hit path. Well-known
 * field names are one byte referring to a shared constant, so decoding them allocates nothing.
 *
 * <p>Format: a charset byte ({@code 0}: every name and value is ISO-8859-1, one byte per char,
 * which is what an HTTP parser produces, obs-text included; {@code 1}: UTF-8, for heads built in
 * code with characters beyond U+00FF), then per field, in order: a name code (1..n: {@code
 * NAMES[code - 1]}, exact case; 0: a literal name follows as length + bytes) and the value as
 * length + bytes, lengths as unsigned LEB128 varints. An empty head is the empty array.
 *
 * <p><b>Coded values.</b> A name code with its top bit set ({@code 0x80}) says the value is not
 * literal but coded, in a way the name implies (no kind byte): an HTTP date ({@code Date},
 * {@code Last-Modified}, {@code Expires}) in IMF-fixdate form as 4 bytes of epoch seconds, used only
 * when formatting those seconds gives back exactly the stored text; a {@code Content-Length} equal
 * to the body's length as nothing at all (the body knows it); a value of a field
 * whose values repeat across objects of a site ({@code Server}, {@code Content-Type},
 * {@code Cache-Control}, ...: {@link #SHARED_NAMES}) as a varint index into a process-wide table of
 * such values, bounded to {@link #MAX_SHARED_VALUES} values of at most
 * {@link #MAX_SHARED_LENGTH} characters, which only grows (an index never changes meaning). A
 * typical origin head then costs about half its bytes, and decoding a shared value allocates
 * nothing.
 *
 * <p><b>Shared strings.</b> The path is normally the uri at the end of the primary key ({@link
 * KeyFormat#uri}); it is then not kept but cut from the key on
 * demand. Tenant and host strings are few and repeat across objects, so they go through a small
 * bounded canonicalising map and every object of one host shares one string.
 *
 * <p>Identity: two instances are equal only if they are the same instance (the storage's
 * conditional {@code remove}/{@code replace} rely on that).
 */
public final class StoredObject implements Selection.Subject {
  /**
   * Fixed per-entry memory charged to the budget besides the key's and head's bytes, tags and the
   * body's capacity: this object, its {@link Freshness}, the key String and the head array's
   * headers, {@link Body} with the pooled buffer's objects, the cache's nodes, and the allocator's
   * slack. Measured with {@code EdgeMemoryBench} (200,000 objects of 1 KiB: 564 B of heap per
   * object, 100 B of it key and head bytes, and 4 B of direct-memory slack beyond the body; see
   * docs/performance.md), so that the budget is what the objects really occupy.
   */
  static final int ENTRY_OVERHEAD = 310;
  /** Heap of one more String besides its characters (the String and its array's header). */
  static final int STRING_OVERHEAD = 40;
  /** Heap of an object's {@code Extra} (Vary part, tags, a path of its own), when it has one. */
  static final int EXTRA_OVERHEAD = 32;

  private static final byte LATIN1 = 0;
  private static final byte UTF8 = 1;
  private static final byte[] EMPTY_HEAD = new byte[0];
  /** Field names stored as one byte; exact case matters (names are kept as the origin sent them). */
  private static final String[] NAMES = {
      "Accept-Ranges", "Access-Control-Allow-Origin", "Age", "Cache-Control", "Content-Disposition",
      "Content-Encoding", "Content-Language", "Content-Length", "Content-Location", "Content-Range",
      "Content-Security-Policy", "Content-Type", "Date", "ETag", "Etag", "Expires", "Last-Modified",
      "Link", "Location", "Server", "Set-Cookie", "Strict-Transport-Security", "Surrogate-Control",
      "Surrogate-Key", "Vary", "Via", "X-Cache", "X-Content-Type-Options", "X-Frame-Options",
      "X-Powered-By", "X-XSS-Protection", "CDN-Cache-Control", "Timing-Allow-Origin",
      "Cross-Origin-Resource-Policy", "Referrer-Policy", "Permissions-Policy", "Alt-Svc", "Pragma",
      "accept-ranges", "access-control-allow-origin", "age", "cache-control", "content-disposition",
      "content-encoding", "content-language", "content-length", "content-location", "content-range",
      "content-security-policy", "content-type", "date", "etag", "expires", "last-modified", "link",
      "location", "server", "set-cookie", "strict-transport-security", "surrogate-control",
      "surrogate-key", "vary", "via", "x-cache", "x-content-type-options", "x-frame-options",
      "x-powered-by", "x-xss-protection", "cdn-cache-control", "timing-allow-origin",
      "cross-origin-resource-policy", "referrer-policy", "permissions-policy", "alt-svc", "pragma"};
  /** {@link #NAMES} as {@code AsciiString}s, for {@link #forEachAsciiHeader}. */
  private static final AsciiString[] ASCII_NAMES = new AsciiString[NAMES.length];
  private static final Map<String, Integer> NAME_CODES;
  /** Set on a name code when the value is coded, not literal (see the class doc). */
  private static final int CODED = 0x80;
  private static final byte KIND_DATE = 1;
  private static final byte KIND_SHARED = 2;
  private static final byte KIND_LENGTH = 3;
  /** {@code Content-Length} names: coded (no bytes at all) when the value is the body's length. */
  private static final java.util.Set<String> LENGTH_NAMES = java.util.Set.of("Content-Length", "content-length");
  /** The kind of coded value of each name code (0: never coded); the name implies it. */
  private static final byte[] KIND_OF_CODE = new byte[CODED];
  /** Well-known fields whose values are HTTP dates (coded as seconds when exactly IMF-fixdate). */
  private static final java.util.Set<String> DATE_NAMES = java.util.Set.of(
      "Date", "Last-Modified", "Expires", "date", "last-modified", "expires");
  /** Well-known fields whose values repeat across objects: kept once in {@link #SHARED}. */
  private static final java.util.Set<String> SHARED_NAMES = java.util.Set.of(
      "Accept-Ranges", "Access-Control-Allow-Origin", "Cache-Control", "Content-Encoding",
      "Content-Language", "Content-Security-Policy", "Content-Type", "Server",
      "Strict-Transport-Security", "Surrogate-Control", "Vary", "Via", "X-Content-Type-Options",
      "X-Frame-Options", "X-Powered-By", "X-XSS-Protection", "CDN-Cache-Control",
      "Timing-Allow-Origin", "Cross-Origin-Resource-Policy", "Referrer-Policy",
      "Permissions-Policy", "Alt-Svc", "Pragma",
      "accept-ranges", "access-control-allow-origin", "cache-control", "content-encoding",
      "content-language", "content-security-policy", "content-type", "server",
      "strict-transport-security", "surrogate-control", "vary", "via", "x-content-type-options",
      "x-frame-options", "x-powered-by", "x-xss-protection", "cdn-cache-control",
      "timing-allow-origin", "cross-origin-resource-policy", "referrer-policy",
      "permissions-policy", "alt-svc", "pragma");
  /** Bound on the shared values (about 1.5 MB at most); beyond it values are stored literally. */
  static final int MAX_SHARED_VALUES = 4096;
  /** Longer values of shared fields are stored literally. */
  static final int MAX_SHARED_LENGTH = 256;
  /** Shared values by index; a slot is written before its index is published in {@link #SHARED_INDEX}. */
  private static final String[] SHARED = new String[MAX_SHARED_VALUES];
  /** {@link #SHARED} as {@code AsciiString}s (written before the index is published, like it). */
  private static final AsciiString[] SHARED_ASCII = new AsciiString[MAX_SHARED_VALUES];
  private static final Map<String, Integer> SHARED_INDEX = new ConcurrentHashMap<>();
  /** Bound on canonicalised tenant and host strings; beyond it strings are simply kept as given. */
  static final int MAX_CANONICAL = 4096;
  private static final Map<String, String> CANONICAL = new ConcurrentHashMap<>();

  /** The {@code path} field of an object whose path was given as null. */
  private static final String NO_PATH = new String("");

  static {
    Map<String, Integer> codes = new java.util.HashMap<>();
    for (int i = 0; i < NAMES.length; i++) {
      codes.put(NAMES[i], i + 1);
      ASCII_NAMES[i] = AsciiString.cached(NAMES[i]);
    }
    NAME_CODES = Map.copyOf(codes);
    for (int i = 0; i < NAMES.length; i++) {
      String n = NAMES[i];
      KIND_OF_CODE[i + 1] = DATE_NAMES.contains(n) ? KIND_DATE : SHARED_NAMES.contains(n) ? KIND_SHARED
          : LENGTH_NAMES.contains(n) ? KIND_LENGTH : 0;
    }
    if (NAMES.length >= CODED) {
      throw new AssertionError("name codes must leave the top bit free");
    }
  }

  private final String primaryKey;
  private final String tenant;
  private final String host;
  private final byte[] head;
  private final Freshness freshness;
  private final Body body;
  /**
   * What most objects do not have (a Vary part, tags, a path that is not the key's uri), or null
   * when they have none of it; replaced only by {@link #storedAs}, before the instance is filed.
   */
  private Extra extra;
  /** {@code generation << 17 | forcedStale << 16 | status}: one field instead of three. */
  private final long bits;
  /**
   * Set by {@link MemoryStorage} on the instance it files (0 until then): its sequence number. Its
   * tag index keys are in {@link #extra}. Written before the instance is put into the cache and
   * never after, so a reader that got it from the cache sees them.
   */
  long seq;
  private static final String[] NO_TAG_KEYS = new String[0];
  /** The Vary of a response without one (what {@code VaryKey.of} returns for it). */
  private static final VaryKey NO_VARY = VaryKey.of(MultiMap.caseInsensitiveMultiMap());
  private static final int STATUS_BITS = 16;
  private static final long STALE_BIT = 1L << STATUS_BITS;
  private static final int GENERATION_SHIFT = STATUS_BITS + 1;

  /**
   * The rarely set parts of an object, kept apart so that a plain object (no Vary, no tags, its
   * path the key's uri) carries one null reference for all five, not five references.
   */
  private record Extra(String secondaryKey, VaryKey vary, List<String> tags, String pathField,
                       String[] tagKeys) {
    static Extra of(String secondaryKey, VaryKey vary, List<String> tags, String pathField,
                    String[] tagKeys) {
      boolean plain = secondaryKey.isEmpty() && vary == NO_VARY && tags.isEmpty() && pathField == null
          && tagKeys.length == 0;
      return plain ? null : new Extra(secondaryKey, vary, tags, pathField, tagKeys);
    }
  }

  /**
   * @param primaryKey the cache key without the Vary part (tenant, site, method class, host, URI)
   * @param secondaryKey the Vary part ({@link VaryKey#NONE} when the response has no Vary)
   * @param tenant owning tenant
   * @param host the normalised request host (purge by host)
   * @param path the canonical path and query (purge by prefix)
   * @param status response status (0 to 65535)
   * @param headers the stored response fields (policy {@code Headers.storedHeaders}); copied
   * @param vary the response's Vary ({@code VaryKey.of}); empty when none
   * @param freshness lifetime, age and stale windows
   * @param tags Surrogate-Key tags (purge by tag)
   * @param generation the tenant's storage generation when stored (0 to 2^46 - 1)
   * @param forcedStale set by a soft purge: treated as stale (served while revalidating)
   * @param body the bytes
   */
  public StoredObject(String primaryKey, String secondaryKey, String tenant, String host, String path,
                      int status, MultiMap headers, VaryKey vary, Freshness freshness, List<String> tags,
                      long generation, boolean forcedStale, Body body) {
    this(Objects.requireNonNull(primaryKey, "primaryKey"),
        canonical(Objects.requireNonNull(tenant, "tenant")),
        host == null ? null : canonical(host),
        encode(Objects.requireNonNull(headers, "headers"), Objects.requireNonNull(body, "body").length()),
        freshness, body,
        Extra.of(Objects.requireNonNull(secondaryKey, "secondaryKey"), canonicalVary(vary),
            List.copyOf(tags), path == null ? NO_PATH : KeyFormat.endsWithUri(primaryKey, path) ? null : path,
            NO_TAG_KEYS),
        bits(status, generation, forcedStale));
  }

  /** {@code tenant} and {@code host} canonical already, {@code extra} as the field holds it. */
  private StoredObject(String primaryKey, String tenant, String host, byte[] head, Freshness freshness,
                       Body body, Extra extra, long bits) {
    this.primaryKey = primaryKey;
    this.tenant = Objects.requireNonNull(tenant, "tenant");
    this.host = host;
    this.head = head;
    this.freshness = Objects.requireNonNull(freshness, "freshness");
    this.body = Objects.requireNonNull(body, "body");
    this.extra = extra;
    this.bits = bits;
  }

  private static VaryKey canonicalVary(VaryKey vary) {
    Objects.requireNonNull(vary, "vary");
    return vary.isEmpty() && !vary.star() ? NO_VARY : vary;
  }

  private static long bits(int status, long generation, boolean forcedStale) {
    if (status < 0 || status >= 1 << STATUS_BITS) {
      throw new IllegalArgumentException("status out of range: " + status);
    }
    if (generation < 0 || generation >= 1L << (63 - GENERATION_SHIFT)) {
      throw new IllegalArgumentException("generation out of range: " + generation);
    }
    return generation << GENERATION_SHIFT | (forcedStale ? STALE_BIT : 0) | status;
  }

  @Override
  public String primaryKey() {
    return primaryKey;
  }

  public String secondaryKey() {
    Extra x = extra;
    return x == null ? VaryKey.NONE : x.secondaryKey;
  }

  @Override
  public String tenant() {
    return tenant;
  }

  @Override
  public String host() {
    return host;
  }

  /** The canonical path and query; null only if it was given as null. */
  @Override
  public String path() {
    Extra x = extra;
    if (x != null && x.pathField != null) {
      return x.pathField == NO_PATH ? null : x.pathField;
    }
    return KeyFormat.uri(primaryKey);
  }

  public int status() {
    return (int) (bits & ((1 << STATUS_BITS) - 1));
  }

  public VaryKey vary() {
    Extra x = extra;
    return x == null ? NO_VARY : x.vary;
  }

  public Freshness freshness() {
    return freshness;
  }

  @Override
  public List<String> tags() {
    Extra x = extra;
    return x == null ? List.of() : x.tags;
  }

  public long generation() {
    return bits >>> GENERATION_SHIFT;
  }

  public boolean forcedStale() {
    return (bits & STALE_BIT) != 0;
  }

  /** The tag index keys the storage filed this instance under (empty until filed, or untagged). */
  String[] tagKeys() {
    Extra x = extra;
    return x == null ? NO_TAG_KEYS : x.tagKeys;
  }

  public Body body() {
    return body;
  }

  /** The key the storage files this object under. */
  public String key() {
    return KeyFormat.full(primaryKey, secondaryKey());
  }



  /**
   * The stored fields as a new case-insensitive {@code MultiMap} (decoded per call: callers may
   * modify it). On the hit path prefer {@link #forEachHeader} and {@link #header}.
   */
  public MultiMap headers() {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    forEachHeader(out::add);
    return out;
  }

  /** Calls {@code action} with each stored field in order, names in the case they were stored. */
  public void forEachHeader(BiConsumer<String, String> action) {
    byte[] h = head;
    if (h.length == 0) {
      return;
    }
    boolean latin1 = h[0] == LATIN1;
    int[] pos = {1};
    while (pos[0] < h.length) {
      int code = h[pos[0]++] & 0xFF;
      String name = (code & ~CODED) != 0 ? NAMES[(code & ~CODED) - 1] : readString(h, pos, latin1);
      action.accept(name, readValue(h, pos, code, latin1, body));
    }
  }

  /**
   * Like {@link #forEachHeader}, for writing the fields onto an HTTP/1.x head: names and values as
   * {@code AsciiString}s, so that the head's map hashes a well-known name once per process instead
   * of once per delivery, and the encoder copies each value's bytes instead of narrowing it char by
   * char; the well-known names, shared values and recent dates are shared instances (nothing
   * allocated for them). The same text as {@link #forEachHeader}, byte for byte. Only for a head
   * whose text is ISO-8859-1 (what an HTTP parser produces): for a head built in code with
   * characters beyond U+00FF it calls nothing and returns false (use {@link #forEachHeader}).
   */
  public boolean forEachAsciiHeader(BiConsumer<AsciiString, AsciiString> action) {
    byte[] h = head;
    if (h.length == 0) {
      return true;
    }
    if (h[0] != LATIN1) {
      return false;
    }
    int[] pos = {1};
    while (pos[0] < h.length) {
      int code = h[pos[0]++] & 0xFF;
      AsciiString name = (code & ~CODED) != 0 ? ASCII_NAMES[(code & ~CODED) - 1] : readAscii(h, pos);
      action.accept(name, readAsciiValue(h, pos, code, body));
    }
    return true;
  }

  /**
   * The first stored value of field {@code name} (ASCII case-insensitive, as {@code MultiMap#get}),
   * or null; decodes only that value.
   */
  public String header(String name) {
    byte[] h = head;
    if (h.length == 0) {
      return null;
    }
    boolean latin1 = h[0] == LATIN1;
    int[] pos = {1};
    while (pos[0] < h.length) {
      int code = h[pos[0]++] & 0xFF;
      int nameCode = code & ~CODED;
      boolean match;
      if (nameCode != 0) {
        match = NAMES[nameCode - 1].equalsIgnoreCase(name);
      } else if (latin1) {
        int len = readLength(h, pos);
        match = latin1EqualsIgnoreCase(h, pos[0], len, name);
        pos[0] += len;
      } else {
        match = readString(h, pos, false).equalsIgnoreCase(name);
      }
      if (match) {
        return readValue(h, pos, code, latin1, body);
      }
      skipValue(h, pos, code);
    }
    return null;
  }

  /** Bytes of the encoded head (for tests and the weight). */
  int headBytes() {
    return head.length;
  }

  /**
   * Bytes charged to the storage budget: what the object holds on the heap (keys, head, tags, the
   * fixed per-entry objects) plus the body's direct memory.
   */
  public int weight() {
    // keys are ASCII (CacheKey percent-encodes), so one byte per char in a compact String
    long w = ENTRY_OVERHEAD + body.capacity() + head.length + primaryKey.length();
    Extra x = extra;
    if (x == null) {
      return (int) Math.min(Integer.MAX_VALUE, w);
    }
    w += EXTRA_OVERHEAD;
    String secondaryKey = x.secondaryKey;
    String path = x.pathField;
    if (!secondaryKey.isEmpty()) {
      // the secondary key and the full key the cache holds (primary, separator, secondary)
      w += 2L * secondaryKey.length() + primaryKey.length() + 1 + 2L * STRING_OVERHEAD;
    }
    if (path != null && path != NO_PATH) {
      w += 2L * path.length() + STRING_OVERHEAD;
    }
    for (String t : x.tags) {
      w += 2L * t.length() + 64;
    }
    return (int) Math.min(Integer.MAX_VALUE, w);
  }

  /** The same object with a new head and freshness (a 304 update); shares the body. */
  public StoredObject withHead(MultiMap newHeaders, Freshness newFreshness, List<String> newTags) {
    Extra x = extra;
    Extra next = x == null
        ? Extra.of(VaryKey.NONE, NO_VARY, List.copyOf(newTags), null, NO_TAG_KEYS)
        : Extra.of(x.secondaryKey, x.vary, List.copyOf(newTags), x.pathField, NO_TAG_KEYS);
    return new StoredObject(primaryKey, tenant, host, encode(Objects.requireNonNull(newHeaders, "headers"), body.length()),
        newFreshness, body, next, bits & ~STALE_BIT);
  }

  /**
   * This instance, or a copy of it sharing everything when this one was filed before, with the
   * storage's sequence number and tag index keys.
   */
  StoredObject storedAs(long seq, String[] tagKeys) {
    Extra x = extra;
    Extra filed = x == null
        ? Extra.of(VaryKey.NONE, NO_VARY, List.of(), null, tagKeys)
        : Extra.of(x.secondaryKey, x.vary, x.tags, x.pathField, tagKeys);
    StoredObject o = this.seq == 0 ? this
        : new StoredObject(primaryKey, tenant, host, head, freshness, body, filed, bits);
    o.seq = seq;
    o.extra = filed;
    return o;
  }

  /** Whether the storage filed this instance under the tag index key. */
  boolean carries(String tagKey) {
    for (String t : tagKeys()) {
      if (t.equals(tagKey)) {
        return true;
      }
    }
    return false;
  }

  /** The same object marked stale by a soft purge; shares the body and the head. */
  public StoredObject markedStale() {
    Extra x = extra;
    Extra unfiled = x == null ? null : Extra.of(x.secondaryKey, x.vary, x.tags, x.pathField, NO_TAG_KEYS);
    return new StoredObject(primaryKey, tenant, host, head, freshness, body, unfiled, bits | STALE_BIT);
  }

  @Override
  public String toString() {
    return "StoredObject[" + KeyFormat.printable(key()) + ", status=" + status() + ", stale="
        + forcedStale() + ", body=" + body.length() + "]";
  }

  // --- head encoding -------------------------------------------------------------------------

  static byte[] encode(MultiMap headers, long bodyLength) {
    if (headers.isEmpty()) {
      return EMPTY_HEAD;
    }
    boolean latin1 = true;
    int size = 1;
    for (Map.Entry<String, String> e : headers) {
      if (!isLatin1(e.getKey()) || !isLatin1(e.getValue())) {
        latin1 = false;
        break;
      }
      String name = e.getKey();
      String value = e.getValue();
      Integer code = NAME_CODES.get(name);
      size += 1 + (code != null ? 0 : varintSize(name.length()) + name.length());
      long coded = code == null ? -1 : codedValue(name, value, bodyLength);
      size += coded >= 0 ? codedSize(coded) : varintSize(value.length()) + value.length();
    }
    if (!latin1) {
      return encodeUtf8(headers, bodyLength);
    }
    byte[] out = new byte[size];
    int p = 0;
    out[p++] = LATIN1;
    for (Map.Entry<String, String> e : headers) {
      String name = e.getKey();
      String value = e.getValue();
      Integer code = NAME_CODES.get(name);
      if (code != null) {
        long coded = codedValue(name, value, bodyLength);
        if (coded >= 0) {
          out[p++] = (byte) (code | CODED);
          p = putCoded(out, p, coded);
          continue;
        }
        out[p++] = (byte) (int) code;
      } else {
        out[p++] = 0;
        p = putLatin1(out, p, name);
      }
      p = putLatin1(out, p, value);
    }
    return out;
  }

  private static byte[] encodeUtf8(MultiMap headers, long bodyLength) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(256);
    out.write(UTF8);
    for (Map.Entry<String, String> e : headers) {
      Integer code = NAME_CODES.get(e.getKey());
      if (code != null) {
        long coded = codedValue(e.getKey(), e.getValue(), bodyLength);
        if (coded >= 0) {
          out.write(code | CODED);
          byte[] b = new byte[codedSize(coded)];
          putCoded(b, 0, coded);
          out.write(b, 0, b.length);
          continue;
        }
        out.write(code);
      } else {
        out.write(0);
        putBytes(out, e.getKey().getBytes(StandardCharsets.UTF_8));
      }
      putBytes(out, e.getValue().getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static void putBytes(java.io.ByteArrayOutputStream out, byte[] b) {
    int n = b.length;
    while (n >= 0x80) {
      out.write((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.write(b, 0, b.length);
  }

  // --- coded values ---------------------------------------------------------------------------

  /**
   * The value as coded, or -1 when it is stored literally: a date as {@code KIND_DATE << 32 |
   * seconds}, a shared value as {@code KIND_SHARED << 32 | index}, the body's length as {@code
   * KIND_LENGTH << 32}.
   */
  private static long codedValue(String name, String value, long bodyLength) {
    if (LENGTH_NAMES.contains(name)) {
      return value.equals(Long.toString(bodyLength)) ? (long) KIND_LENGTH << 32 : -1;
    }
    if (DATE_NAMES.contains(name)) {
      if (value.length() != 29 || !value.endsWith(" GMT")) {
        return -1;
      }
      long ms = dev.kasoku.cacheedge.policy.HttpDates.parseMillis(value);
      if (ms == dev.kasoku.cacheedge.policy.HttpDates.INVALID || ms < 0 || ms / 1000 > 0xFFFF_FFFFL
          || !dev.kasoku.cacheedge.policy.HttpDates.formatMillis(ms).equals(value)) {
        return -1;
      }
      return (long) KIND_DATE << 32 | ms / 1000;
    }
    if (SHARED_NAMES.contains(name) && value.length() <= MAX_SHARED_LENGTH) {
      int index = sharedIndex(value);
      return index < 0 ? -1 : (long) KIND_SHARED << 32 | index;
    }
    return -1;
  }

  /** The value's index in the shared table, added if there is room; -1 when full. */
  private static int sharedIndex(String value) {
    Integer i = SHARED_INDEX.get(value);
    if (i != null) {
      return i;
    }
    synchronized (SHARED) {
      i = SHARED_INDEX.get(value);
      if (i != null) {
        return i;
      }
      int n = SHARED_INDEX.size();
      if (n >= MAX_SHARED_VALUES) {
        return -1;
      }
      SHARED[n] = new String(value.toCharArray()); // its own copy: never pins a larger string
      // read only for ISO-8859-1 heads, whose values are ISO-8859-1 text: one byte per char
      SHARED_ASCII[n] = new AsciiString(SHARED[n]);
      SHARED_INDEX.put(SHARED[n], n);
      return n;
    }
  }

  /** Bytes after the name code (the kind is implied by the name, see {@link #KIND_OF_CODE}). */
  private static int codedSize(long coded) {
    int kind = (int) (coded >>> 32);
    return kind == KIND_DATE ? 4 : kind == KIND_LENGTH ? 0 : varintSize((int) coded);
  }

  private static int putCoded(byte[] out, int p, long coded) {
    byte kind = (byte) (coded >>> 32);
    int v = (int) coded;
    if (kind == KIND_LENGTH) {
      return p;
    }
    if (kind == KIND_DATE) {
      out[p++] = (byte) (v >>> 24);
      out[p++] = (byte) (v >>> 16);
      out[p++] = (byte) (v >>> 8);
      out[p++] = (byte) v;
      return p;
    }
    while ((v & ~0x7F) != 0) {
      out[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[p++] = (byte) v;
    return p;
  }

  /** Reads the value of a field whose name code byte was {@code code}. */
  private static String readValue(byte[] h, int[] pos, int code, boolean latin1, Body body) {
    if ((code & CODED) == 0) {
      return readString(h, pos, latin1);
    }
    byte kind = KIND_OF_CODE[code & ~CODED];
    if (kind == KIND_DATE) {
      int p = pos[0];
      long seconds = ((h[p] & 0xFFL) << 24) | ((h[p + 1] & 0xFF) << 16) | ((h[p + 2] & 0xFF) << 8) | (h[p + 3] & 0xFF);
      pos[0] = p + 4;
      return formatSeconds(seconds);
    }
    if (kind == KIND_LENGTH) {
      return Long.toString(body.length());
    }
    return SHARED[readLength(h, pos)];
  }

  /** {@link #readValue} of an ISO-8859-1 head, as an {@code AsciiString}. */
  private static AsciiString readAsciiValue(byte[] h, int[] pos, int code, Body body) {
    if ((code & CODED) == 0) {
      return readAscii(h, pos);
    }
    byte kind = KIND_OF_CODE[code & ~CODED];
    if (kind == KIND_DATE) {
      int p = pos[0];
      long seconds = ((h[p] & 0xFFL) << 24) | ((h[p + 1] & 0xFF) << 16) | ((h[p + 2] & 0xFF) << 8) | (h[p + 3] & 0xFF);
      pos[0] = p + 4;
      return formatted(seconds).ascii;
    }
    if (kind == KIND_LENGTH) {
      return new AsciiString(Long.toString(body.length()));
    }
    return SHARED_ASCII[readLength(h, pos)];
  }

  private static void skipValue(byte[] h, int[] pos, int code) {
    if ((code & CODED) == 0) {
      int valueLength = readLength(h, pos); // not folded into "+=": that would read pos[0] first
      pos[0] += valueLength;
      return;
    }
    byte kind = KIND_OF_CODE[code & ~CODED];
    if (kind == KIND_DATE) {
      pos[0] += 4;
    } else if (kind == KIND_SHARED) {
      readLength(h, pos);
    }
  }

  /**
   * Recently formatted dates, by a hash of their seconds: hits deliver the same objects again and
   * again, so their {@code Date} and {@code Last-Modified} are formatted once, not per delivery
   * (about 60 ns each). Entries are immutable and replaced whole, so a racy read sees a complete
   * one. 4,096 slots: 16 KB, and at most about 800 KB of entries with their text (as a String and
   * as an AsciiString).
   */
  private static final int DATE_BITS = 12;
  private static final FormattedDate[] DATES = new FormattedDate[1 << DATE_BITS];

  private record FormattedDate(long seconds, String text, AsciiString ascii) {}

  private static String formatSeconds(long seconds) {
    return formatted(seconds).text;
  }

  private static FormattedDate formatted(long seconds) {
    int slot = ((int) seconds * 0x9E3779B9) >>> (32 - DATE_BITS);
    FormattedDate d = DATES[slot];
    if (d != null && d.seconds == seconds) {
      return d;
    }
    String text = dev.kasoku.cacheedge.policy.HttpDates.formatMillis(seconds * 1000);
    d = new FormattedDate(seconds, text, new AsciiString(text));
    DATES[slot] = d;
    return d;
  }

  private static int varintSize(int n) {
    return n < 1 << 7 ? 1 : n < 1 << 14 ? 2 : n < 1 << 21 ? 3 : n < 1 << 28 ? 4 : 5;
  }

  private static int putLatin1(byte[] out, int p, String s) {
    int n = s.length();
    int v = n;
    while (v >= 0x80) {
      out[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[p++] = (byte) v;
    for (int i = 0; i < n; i++) {
      out[p++] = (byte) s.charAt(i);
    }
    return p;
  }

  private static boolean isLatin1(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xFF) {
        return false;
      }
    }
    return true;
  }

  private static String readString(byte[] h, int[] pos, boolean latin1) {
    int len = readLength(h, pos);
    String s = new String(h, pos[0], len, latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    pos[0] += len;
    return s;
  }

  /** A literal of an ISO-8859-1 head as an {@code AsciiString} (its own copy of the bytes). */
  private static AsciiString readAscii(byte[] h, int[] pos) {
    int len = readLength(h, pos);
    AsciiString s = new AsciiString(h, pos[0], len, true);
    pos[0] += len;
    return s;
  }

  private static int readLength(byte[] h, int[] pos) {
    int n = 0;
    int shift = 0;
    int b;
    do {
      b = h[pos[0]++];
      n |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return n;
  }

  private static boolean latin1EqualsIgnoreCase(byte[] h, int from, int len, String name) {
    if (len != name.length()) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      int a = h[from + i] & 0xFF;
      int b = name.charAt(i);
      if (a != b && asciiLower(a) != asciiLower(b)) {
        return false;
      }
    }
    return true;
  }

  private static int asciiLower(int c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
  }

  // --- shared strings ------------------------------------------------------------------------

  /** The one instance of {@code s} shared by every object (while the bounded map has room). */
  static String canonical(String s) {
    String c = CANONICAL.get(s);
    if (c != null) {
      return c;
    }
    if (CANONICAL.size() >= MAX_CANONICAL) {
      return s;
    }
    c = CANONICAL.putIfAbsent(s, s);
    return c == null ? s : c;
  }
}
