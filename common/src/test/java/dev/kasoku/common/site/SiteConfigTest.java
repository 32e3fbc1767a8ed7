package dev.kasoku.common.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The site config document of API.md ("Site config"): decoding, defaults, validation. */
class SiteConfigTest {
  private static final String API_MD_EXAMPLE = """
      {
        "hostnames": ["www.example.com", "static.example.com"],
        "origins": [{"url": "https://origin.example.com:443", "weight": 1}],
        "defaultTtl": "0s",
        "honorOriginCacheControl": true,
        "rules": [
          {"match": {"pathPrefix": "/static/"}, "ttl": "7d", "query": "ignore"},
          {"match": {"pathRegex": "\\\\.(css|js)$"}, "ttl": "1d", "query": {"only": ["v"]}},
          {"match": {"pathPrefix": "/api/"}, "cache": false}
        ],
        "staleWhileRevalidate": "30s",
        "staleIfError": "1d",
        "tls": {"certificatePem": "...", "privateKeyPem": "..."}
      }
      """;

  private static final String MINIMAL =
      "{\"hostnames\":[\"a.example\"],\"origins\":[{\"url\":\"http://o.example\"}]}";

  @Test
  void apiMdExampleDecodes() {
    SiteConfig c = SiteConfig.parse(API_MD_EXAMPLE);
    assertThat(c.hostnames()).containsExactly("www.example.com", "static.example.com");
    assertThat(c.origins().get(0).weightOrDefault()).isEqualTo(1);
    assertThat(c.rules()).hasSize(3);
    assertThat(c.rules().get(0).ttlDuration()).isEqualTo(Duration.ofDays(7));
    assertThat(c.rules().get(0).queryOrDefault()).isEqualTo(QueryPolicy.IGNORE);
    assertThat(c.rules().get(1).match().pathRegex()).isEqualTo("\\.(css|js)$");
    assertThat(c.rules().get(1).queryOrDefault().mode()).isEqualTo(QueryPolicy.Mode.ONLY);
    assertThat(c.rules().get(1).queryOrDefault().names()).containsExactly("v");
    assertThat(c.rules().get(2).cacheOrDefault()).isFalse();
    assertThat(c.staleWhileRevalidateDuration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.staleIfErrorDuration()).isEqualTo(Duration.ofDays(1));
    assertThat(c.tls().certificatePem()).isEqualTo("...");
  }

  @Test
  void defaultsApplyWhenFieldsAreAbsent() {
    SiteConfig c = SiteConfig.parse(MINIMAL);
    assertThat(c.defaultTtlDuration()).isEqualTo(Duration.ZERO);
    assertThat(c.honorOriginCacheControlOrDefault()).isTrue();
    assertThat(c.shareSetCookieOrDefault()).isFalse();
    assertThat(c.maxObjectSizeBytes()).isEqualTo(-1);
    assertThat(c.staleIfErrorDuration()).isEqualTo(Duration.ZERO);
    assertThat(c.rules()).isEmpty();
  }

  @Test
  void documentRoundTripsThroughJson() {
    SiteConfig c = SiteConfig.parse(API_MD_EXAMPLE);
    assertThat(SiteConfig.parse(c.toJson())).isEqualTo(c);
  }

  @Test
  void unknownKeyIsRejectedWithItsPath() {
    assertThatThrownBy(() -> SiteConfig.parse(
        "{\"hostnames\":[\"a.example\"],\"origins\":[{\"url\":\"http://o.example\",\"wieght\":1}]}"))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class)
        .hasMessageContaining("wieght").hasMessageContaining("origins");
  }

  @Test
  void misspelledTopLevelKeyIsRejected() {
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("}]}", "}],\"defaultTTL\":\"1h\"}")))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class)
        .hasMessageContaining("defaultTTL");
  }

  @Test
  void validationReportsEveryProblemAtOnce() {
    SiteConfig c = new SiteConfig(java.util.List.of("Bad Host"), java.util.List.of(new SiteConfig.Origin("ftp://x", 0)),
        "forever", null, java.util.List.of(new SiteConfig.Rule(new SiteConfig.Match(null, null), "1x", null, null, null)),
        "1y", null, null, null, "lots", null, null, null);
    assertThat(c.validate()).hasSize(8);
  }

  @Test
  void originMustBeHttpOrHttps() {
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("http://o.example", "file:///etc/passwd")))
        .hasMessageContaining("http or https");
  }

  @Test
  void originWithUserInfoOrPathIsRejected() {
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("http://o.example", "http://u:p@o.example")))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class);
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("http://o.example", "http://o.example/x")))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class);
  }

  @Test
  void matchNeedsExactlyOneOfPrefixAndRegex() {
    String both = MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/a\",\"pathRegex\":\"b\"}}]}");
    assertThatThrownBy(() -> SiteConfig.parse(both)).hasMessageContaining("exactly one");
  }

  @Test
  void invalidRegexIsRejected() {
    String bad = MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathRegex\":\"(\"}}]}");
    assertThatThrownBy(() -> SiteConfig.parse(bad)).hasMessageContaining("pathRegex");
  }

  @Test
  void queryPolicyShapesAreValidated() {
    String bad = MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"only\":\"v\"}}]}");
    assertThatThrownBy(() -> SiteConfig.parse(bad)).hasMessageContaining("query");
    String bad2 = MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":\"sorted\"}]}");
    assertThatThrownBy(() -> SiteConfig.parse(bad2)).hasMessageContaining("query");
  }

  @Test
  void exceptQueryPolicyDecodes() {
    String ok = MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"query\":{\"except\":[\"utm\"]}}]}");
    assertThat(SiteConfig.parse(ok).rules().get(0).queryOrDefault()).isEqualTo(QueryPolicy.except("utm"));
  }

  @Test
  void hostnamesMustBeLowerCaseDnsNames() {
    assertThat(SiteConfig.isValidHostname("www.example.com")).isTrue();
    assertThat(SiteConfig.isValidHostname("WWW.example.com")).isFalse();
    assertThat(SiteConfig.isValidHostname("example.com:8080")).isFalse();
    assertThat(SiteConfig.isValidHostname("-a.example")).isFalse();
    assertThat(SiteConfig.isValidHostname("a..example")).isFalse();
  }

  @Test
  void duplicateHostnameIsRejected() {
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("[\"a.example\"]", "[\"a.example\",\"a.example\"]")))
        .hasMessageContaining("twice");
  }

  @Test
  void nonJsonIsRejected() {
    assertThatThrownBy(() -> SiteConfig.parse("{not json")).isInstanceOf(SiteConfig.InvalidSiteConfigException.class);
  }

  @Test
  void maxObjectSizeAndShareSetCookieDecode() {
    SiteConfig c = SiteConfig.parse(MINIMAL.replace("}]}", "}],\"maxObjectSize\":\"64m\",\"shareSetCookie\":true}"));
    assertThat(c.maxObjectSizeBytes()).isEqualTo(64L << 20);
    assertThat(c.shareSetCookieOrDefault()).isTrue();
  }

  /**
   * Regression: "106751991167300d" and "9223372036854775807s" were accepted, and the edge computed a
   * negative TTL from them, silently disabling caching for the site.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"106751991167300d", "9223372036854775807s",
      "99999999999999999999d", "366d", "8785h"})
  void durationsAreBoundedToAYearAndTheProblemSaysTheLimit(String ttl) {
    String doc = MINIMAL.replace("}]}", "}],\"defaultTtl\":\"" + ttl + "\",\"staleIfError\":\"" + ttl
        + "\",\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"ttl\":\"" + ttl + "\"}]}");
    assertThatThrownBy(() -> SiteConfig.parse(doc))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class)
        .satisfies(e -> assertThat(((SiteConfig.InvalidSiteConfigException) e).problems())
            .containsExactlyInAnyOrder(
                "defaultTtl: '" + ttl + "' is longer than the limit of 365d",
                "staleIfError: '" + ttl + "' is longer than the limit of 365d",
                "rules[0].ttl: '" + ttl + "' is longer than the limit of 365d"));
    assertThat(SiteConfig.parse(MINIMAL.replace("}]}", "}],\"defaultTtl\":\"365d\"}")).defaultTtlDuration())
        .isEqualTo(Duration.ofDays(365));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"localhost", "api.localhost", "printer.local",
      "db.internal", "x.invalid", "invalid", "127.0.0.1", "[::1]", "::1", "10.0.0.1"})
  void reservedNamesAndIpLiteralsCannotBeClaimed(String host) {
    String doc = MINIMAL.replace("a.example", host);
    assertThatThrownBy(() -> SiteConfig.parse(doc))
        .isInstanceOf(SiteConfig.InvalidSiteConfigException.class)
        .satisfies(e -> assertThat(((SiteConfig.InvalidSiteConfigException) e).problems())
            .singleElement().asString().startsWith("hostnames[0]: '" + host + "' ")
            .containsAnyOf("reserved name", "IP address"));
  }

  @Test
  void namesThatMerelyContainAReservedWordAreFine() {
    for (String host : new String[] {"localhost.example.com", "local.example", "internal-tools.example.com",
        "intranet"}) {
      assertThat(SiteConfig.parse(MINIMAL.replace("a.example", host)).hostnames()).containsExactly(host);
    }
  }

  @Test
  void cookiesPolicyIsPrivateUnlessARuleSaysIgnore() {
    SiteConfig c = SiteConfig.parse(MINIMAL.replace("}]}", "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/a/\"},"
        + "\"cookies\":\"ignore\"},{\"match\":{\"pathPrefix\":\"/b/\"}}]}"));
    assertThat(c.rules().get(0).cookiesPrivate()).isFalse();
    assertThat(c.rules().get(1).cookiesPrivate()).isTrue();
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("}]}",
        "}],\"rules\":[{\"match\":{\"pathPrefix\":\"/\"},\"cookies\":\"share\"}]}")))
        .hasMessageContaining("rules[0].cookies: expected \"private\" or \"ignore\"");
  }

  @Test
  void peerFillIsOnUnlessTheSiteTurnsItOff() {
    assertThat(SiteConfig.parse(MINIMAL).peerFillOrDefault()).isTrue();
    SiteConfig off = SiteConfig.parse(MINIMAL.replace("}]}", "}],\"peerFill\":false}"));
    assertThat(off.peerFillOrDefault()).isFalse();
    assertThat(off.toJson()).contains("\"peerFill\":false");
    assertThat(SiteConfig.parse(MINIMAL).toJson()).doesNotContain("peerFill");
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("}]}", "}],\"peerFill\":\"off\"}")))
        .hasMessageContaining("peerFill");
  }

  @Test
  void deceptionGuardIsOnAndRequestBodiesAreLimitedByDefault() {
    SiteConfig c = SiteConfig.parse(MINIMAL);
    assertThat(c.deceptionGuardOrDefault()).isTrue();
    assertThat(c.maxRequestBodyBytes()).isEqualTo(SiteConfig.DEFAULT_MAX_REQUEST_BODY);
    SiteConfig custom = SiteConfig.parse(MINIMAL.replace("}]}", "}],\"deceptionGuard\":false,\"maxRequestBody\":\"2m\"}"));
    assertThat(custom.deceptionGuardOrDefault()).isFalse();
    assertThat(custom.maxRequestBodyBytes()).isEqualTo(2L << 20);
    assertThatThrownBy(() -> SiteConfig.parse(MINIMAL.replace("}]}", "}],\"maxRequestBody\":\"big\"}")))
        .hasMessageContaining("maxRequestBody");
  }
}
