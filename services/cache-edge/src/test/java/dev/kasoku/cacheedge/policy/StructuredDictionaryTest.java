package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.policy.StructuredDictionary.InnerList;
import dev.kasoku.cacheedge.policy.StructuredDictionary.Item;
import dev.kasoku.cacheedge.policy.StructuredDictionary.Token;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Structured Field Dictionaries, RFC 8941 §3.2 and its parsing algorithm §4.2.2. */
class StructuredDictionaryTest {

  private static Object value(Map<String, Object> d, String key) {
    return ((Item) d.get(key)).value();
  }

  /** §3.2: "dict-member = member-key ( parameters / ( "=" member-value ))"; a bare key is true. */
  @Test
  void membersWithAndWithoutValues() {
    Map<String, Object> d = StructuredDictionary.parse("max-age=60, no-store, private=\"set-cookie\"");
    assertThat(d.keySet()).containsExactly("max-age", "no-store", "private");
    assertThat(value(d, "max-age")).isEqualTo(60L);
    assertThat(value(d, "no-store")).isEqualTo(Boolean.TRUE);
    assertThat(value(d, "private")).isEqualTo("set-cookie");
  }

  /** §3.3: the bare item types: Integer, Decimal, String, Token, Byte Sequence, Boolean. */
  @Test
  void everyBareItemType() {
    Map<String, Object> d = StructuredDictionary.parse("i=-42, d=1.5, s=\"a \\\"q\\\" \\\\\", t=foo/bar:1, b=:aGk=:, f=?0");
    assertThat(value(d, "i")).isEqualTo(-42L);
    assertThat(value(d, "d")).isEqualTo(new BigDecimal("1.5"));
    assertThat(value(d, "s")).isEqualTo("a \"q\" \\");
    assertThat(value(d, "t")).isEqualTo(new Token("foo/bar:1"));
    assertThat((byte[]) value(d, "b")).containsExactly('h', 'i');
    assertThat(value(d, "f")).isEqualTo(Boolean.FALSE);
  }

  /** §3.1.2 parameters and §3.1.1 inner lists. */
  @Test
  void parametersAndInnerLists() {
    Map<String, Object> d = StructuredDictionary.parse("a=1;x=2;y, l=(1 \"two\" three);p");
    Item a = (Item) d.get("a");
    assertThat(a.parameters()).containsEntry("x", 2L).containsEntry("y", Boolean.TRUE);
    InnerList l = (InnerList) d.get("l");
    assertThat(l.items()).extracting(Item::value).containsExactly(1L, "two", new Token("three"));
    assertThat(l.parameters()).containsKey("p");
  }

  /** §4.2.2: a key seen again overwrites the earlier value. */
  @Test
  void aRepeatedKeyKeepsItsLastValue() {
    assertThat(value(StructuredDictionary.parse("max-age=1, max-age=2"), "max-age")).isEqualTo(2L);
  }

  /** §4.2: field lines are combined with commas before parsing. */
  @Test
  void fieldLinesAreCombined() {
    Map<String, Object> d = StructuredDictionary.parse(List.of("max-age=1", "no-store"));
    assertThat(d.keySet()).containsExactly("max-age", "no-store");
  }

  /** §4.2: an empty field is an empty Dictionary (not a failure). */
  @Test
  void anEmptyFieldIsAnEmptyDictionary() {
    assertThat(StructuredDictionary.parse("")).isEmpty();
    assertThat(StructuredDictionary.parse("   ")).isEmpty();
  }

  /**
   * §4.2: "If parsing fails ... the entire field value MUST be ignored": each of these breaks the
   * grammar somewhere, however valid its first member is.
   */
  @Test
  void anythingOutsideTheGrammarFailsTheWholeField() {
    for (String invalid : new String[] {
        "max-age=10000, &&&&&",   // a member that is not a key
        "max-age =100",           // space before "="
        "max-age= 100",           // space after "="
        "MaX-aGe=3600",           // keys are lower case
        "max-age=1,",             // trailing comma
        "max-age=1,,no-store",    // empty member
        "max-age=1 no-store",     // members not separated by a comma
        "a=\"unterminated",       // a String without its closing quote
        "a=\"bad \\escape\"",     // only \" and \\ escape in a String
        "a=1234567890123456",     // an Integer of more than 15 digits
        "a=1.2345",               // a Decimal with more than 3 fractional digits
        "a=1.",                   // a Decimal ending with the dot
        "a=1234567890123.5",      // a Decimal with more than 12 integer digits
        "a=?2",                   // a Boolean other than ?0 or ?1
        "a=:not base64!:",        // a Byte Sequence outside base64
        "a=(1 2",                 // an inner list without its closing parenthesis
        "a=(1,2)",                // inner list members are separated by spaces
        "a=@1659578233",          // a Date (RFC 9651), not an RFC 8941 type
        "a=é",                    // not ASCII
        "=1"}) {                  // no key
      assertThat(StructuredDictionary.parse(invalid)).as(invalid).isNull();
    }
  }

  /** §4.2.2: optional whitespace around the commas, and SP around the whole value, is allowed. */
  @Test
  void whitespaceAroundCommasIsAllowed() {
    assertThat(StructuredDictionary.parse("  a=1 ,\tb , c  ").keySet()).containsExactly("a", "b", "c");
  }
}
