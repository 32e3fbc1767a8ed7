package dev.kasoku.cacheedge.engine;

import io.vertx.core.http.HttpVersion;

/** The client's HTTP version as the edge names it: in Via and forwarding fields, and in the access log. */
enum Protocol {
  HTTP_1_0("1.0"), HTTP_1_1("1.1"), HTTP_2("2");

  /** "1.1": the protocol-version of a Via element. */
  final String version;
  /** "HTTP/1.1": the access log's protocol. */
  final String logName;

  Protocol(String version) {
    this.version = version;
    this.logName = "HTTP/" + version;
  }

  static Protocol of(HttpVersion v) {
    return switch (v) {
      case HTTP_1_0 -> HTTP_1_0;
      case HTTP_2 -> HTTP_2;
      default -> HTTP_1_1;
    };
  }
}
