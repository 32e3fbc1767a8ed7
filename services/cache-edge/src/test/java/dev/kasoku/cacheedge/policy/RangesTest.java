package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.Ranges.ByteRange;
import dev.kasoku.cacheedge.policy.Ranges.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range requests: RFC 9110 §14. */
class RangesTest {

  @Test
  void singleRangeIsSatisfied() {
    Ranges.Result r = Ranges.evaluate("bytes=0-499", 1000);
    assertThat(r.kind()).isEqualTo(Kind.SINGLE);
    assertThat(r.ranges()).containsExactly(new ByteRange(0, 499));
    assertThat(r.contentRange()).isEqualTo("bytes 0-499/1000");
  }

  /** §14.1.2: a last-pos beyond the end is replaced by the last byte. */
  @Test
  void lastPositionBeyondTheEndIsClamped() {
    assertThat(Ranges.evaluate("bytes=900-5000", 1000).ranges()).containsExactly(new ByteRange(900, 999));
  }

  @Test
  void openEndedRangeRunsToTheEnd() {
    assertThat(Ranges.evaluate("bytes=990-", 1000).ranges()).containsExactly(new ByteRange(990, 999));
  }

  /** §14.1.2: suffix-range: the last N bytes. */
  @Test
  void suffixRangeGivesTheLastBytes() {
    assertThat(Ranges.evaluate("bytes=-100", 1000).ranges()).containsExactly(new ByteRange(900, 999));
  }

  @Test
  void suffixLongerThanTheRepresentationGivesItAll() {
    assertThat(Ranges.evaluate("bytes=-5000", 1000).ranges()).containsExactly(new ByteRange(0, 999));
  }

  /** §15.5.17: no satisfiable range → 416 with Content-Range: bytes * / length. */
  @Test
  void rangeStartingBeyondTheEndIsUnsatisfiable() {
    Ranges.Result r = Ranges.evaluate("bytes=1000-", 1000);
    assertThat(r.kind()).isEqualTo(Kind.UNSATISFIABLE);
    assertThat(r.contentRange()).isEqualTo("bytes */1000");
  }

  @Test
  void zeroSuffixIsUnsatisfiable() {
    assertThat(Ranges.evaluate("bytes=-0", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
  }

  /** §14.2: an invalid ranges-specifier is ignored: the whole representation is sent. */
  @Test
  void invalidSyntaxIsIgnored() {
    assertThat(Ranges.evaluate("bytes=abc", 1000).kind()).isEqualTo(Kind.IGNORE);
    assertThat(Ranges.evaluate("bytes=5-1", 1000).kind()).isEqualTo(Kind.IGNORE);
    assertThat(Ranges.evaluate("bytes=", 1000).kind()).isEqualTo(Kind.IGNORE);
    assertThat(Ranges.evaluate("bytes 0-1", 1000).kind()).isEqualTo(Kind.IGNORE);
  }

  @Test
  void unknownRangeUnitIsIgnored() {
    assertThat(Ranges.evaluate("items=0-5", 1000).kind()).isEqualTo(Kind.IGNORE);
  }

  @Test
  void multipleRangesGiveMultipart() {
    Ranges.Result r = Ranges.evaluate("bytes=0-9, 20-29", 100);
    assertThat(r.kind()).isEqualTo(Kind.MULTIPART);
    assertThat(r.ranges()).containsExactly(new ByteRange(0, 9), new ByteRange(20, 29));
  }

  @Test
  void unsatisfiableMembersOfAListAreDropped() {
    Ranges.Result r = Ranges.evaluate("bytes=0-9, 500-600", 100);
    assertThat(r.kind()).isEqualTo(Kind.SINGLE);
  }

  /** §14.2: overlapping ranges may be ignored (amplification, CVE-2011-3192). */
  @Test
  void overlappingRangesServeTheWholeRepresentation() {
    assertThat(Ranges.evaluate("bytes=0-50, 40-60", 100).kind()).isEqualTo(Kind.IGNORE);
    assertThat(Ranges.evaluate("bytes=0-, 0-, 0-", 100).kind()).isEqualTo(Kind.IGNORE);
  }

  @Test
  void tooManyRangesServeTheWholeRepresentation() {
    StringBuilder sb = new StringBuilder("bytes=");
    for (int i = 0; i <= Ranges.MAX_RANGES; i++) {
      sb.append(i * 10).append('-').append(i * 10 + 1).append(',');
    }
    assertThat(Ranges.evaluate(sb.toString(), 10_000).kind()).isEqualTo(Kind.IGNORE);
  }

  @Test
  void rangesOnAnEmptyRepresentationAreIgnored() {
    assertThat(Ranges.evaluate("bytes=0-10", 0).kind()).isEqualTo(Kind.IGNORE);
  }

  @Test
  void whitespaceAroundRangesIsTolerated() {
    assertThat(Ranges.evaluate("bytes = 1-2 ,", 10).ranges()).containsExactly(new ByteRange(1, 2));
  }

  /** §14.6: multipart/byteranges body framing. */
  @Test
  void multipartFramingHasPartHeadersAndAClosingBoundary() {
    Ranges.Multipart m = Ranges.multipart(List.of(new ByteRange(0, 1), new ByteRange(5, 6)),
        "text/plain", 10, "B");
    assertThat(m.contentType()).isEqualTo("multipart/byteranges; boundary=B");
    String head0 = new String(m.parts().get(0).head(), StandardCharsets.ISO_8859_1);
    String head1 = new String(m.parts().get(1).head(), StandardCharsets.ISO_8859_1);
    assertThat(head0).isEqualTo("--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n");
    assertThat(head1).isEqualTo("\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n");
    assertThat(new String(m.trailer(), StandardCharsets.ISO_8859_1)).isEqualTo("\r\n--B--\r\n");
    assertThat(m.contentLength()).isEqualTo(head0.length() + 2 + head1.length() + 2 + m.trailer().length);
  }

  @Test
  void boundariesAreRandomAndLegal() {
    String a = Ranges.newBoundary();
    assertThat(a).isNotEqualTo(Ranges.newBoundary()).matches("[A-Za-z0-9-]{1,70}");
  }
}
