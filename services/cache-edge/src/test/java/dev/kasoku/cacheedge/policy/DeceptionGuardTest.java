package dev.kasoku.cacheedge.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which Content-Types contradict a path's extension (web cache deception). */
class DeceptionGuardTest {

  @ParameterizedTest
  @CsvSource({
      "/account/x.css, text/html",
      "/account;x.css, text/html; charset=utf-8",
      "/account%2Fx.css, text/html",
      "/account%3Fx.css, TEXT/HTML",
      "/api/me/x.js, application/json",
      "/api/me.json, text/html",
      "/logo.png, text/html",
      "/font.woff2, application/json",
      "/a.CSS, text/html"})
  void aPageOrDataUnderAStaticExtensionContradictsIt(String path, String contentType) {
    assertThat(DeceptionGuard.contradicts(path, contentType)).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
      "/app.css, text/css; charset=utf-8",
      "/app.js, application/javascript",
      "/app.mjs, text/javascript",
      "/data.json, application/json",
      "/data.json, application/ld+json",
      "/feed.xml, application/atom+xml",
      "/logo.png, image/png",
      "/font.woff2, application/octet-stream",
      "/index.html, text/html",
      "/account/settings, text/html",
      "/download.unknownext, text/html",
      "/v1.2/account, text/html"})
  void aMatchingTypeAnUnknownExtensionOrNoneIsNotJudged(String path, String contentType) {
    assertThat(DeceptionGuard.contradicts(path, contentType)).isFalse();
  }

  @Test
  void aKnownExtensionWithoutContentTypeCannotBeConfirmed() {
    assertThat(DeceptionGuard.contradicts("/x.css", null)).isTrue();
    assertThat(DeceptionGuard.contradicts("/x", null)).isFalse();
  }

  @Test
  void octetStreamPassesOnlyForBinaryFormats() {
    assertThat(DeceptionGuard.contradicts("/x.png", "application/octet-stream")).isFalse();
    assertThat(DeceptionGuard.contradicts("/x.css", "application/octet-stream")).isTrue();
    assertThat(DeceptionGuard.contradicts("/x.js", "application/octet-stream")).isTrue();
  }
}
