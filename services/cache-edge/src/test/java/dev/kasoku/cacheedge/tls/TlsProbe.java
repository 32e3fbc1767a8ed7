package dev.kasoku.cacheedge.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** A JDK TLS client for tests: handshakes with a given SNI and reports what the server presented. */
final class TlsProbe {
  private TlsProbe() {}

  /** What a handshake yielded. */
  record Handshake(X509Certificate peer, String applicationProtocol) {}

  /** Handshakes accepting any certificate, and returns the one the server presented. */
  static Handshake handshake(int port, String sni, List<String> alpn) throws Exception {
    List<X509Certificate> seen = new ArrayList<>();
    X509TrustManager recordAll = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        seen.add(chain[0]);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try (SSLSocket socket = open(port, sni, alpn, new TrustManager[] {recordAll})) {
      try {
        socket.startHandshake();
      } catch (java.net.SocketTimeoutException e) {
        // diagnosis of a hung handshake: what every thread of the server side was doing
        StringBuilder dump = new StringBuilder("THREAD DUMP at handshake timeout (sni " + sni + ")\n");
        Thread.getAllStackTraces().forEach((t, st) -> {
          dump.append(t).append('\n');
          for (StackTraceElement el : st) {
            dump.append("    at ").append(el).append('\n');
          }
        });
        System.out.println(dump);
        throw e;
      }
      return new Handshake((X509Certificate) socket.getSession().getPeerCertificates()[0],
          socket.getApplicationProtocol());
    }
  }

  /**
   * Handshakes trusting only {@code trusted} (and verifying the hostname against it, as a browser
   * would); throws when the server presents anything else.
   */
  static void handshakeTrusting(int port, String sni, X509Certificate trusted) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("only", trusted);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    try (SSLSocket socket = open(port, sni, List.of(), tmf.getTrustManagers())) {
      SSLParameters p = socket.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(p);
      socket.startHandshake();
    }
  }

  /** Sends an HTTP/1.1 GET with the given Host over TLS with the given SNI; returns the status line. */
  static String get(int port, String sni, String host) throws Exception {
    try (SSLSocket socket = open(port, sni, List.of("http/1.1"), new TrustManager[] {trustAll()})) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        line.append((char) c);
      }
      return line.toString().trim();
    }
  }

  private static SSLSocket open(int port, String sni, List<String> alpn, TrustManager[] trust) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, trust, new SecureRandom());
    SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    socket.setSoTimeout(15000);
    SSLParameters p = socket.getSSLParameters();
    p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    if (!alpn.isEmpty()) {
      p.setApplicationProtocols(alpn.toArray(new String[0]));
    }
    socket.setSSLParameters(p);
    return socket;
  }

  private static X509TrustManager trustAll() {
    return new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception | Error e) {
      if (e instanceof IOException) {
        return;
      }
    }
  }
}
