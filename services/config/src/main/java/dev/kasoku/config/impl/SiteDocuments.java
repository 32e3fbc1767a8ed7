package dev.kasoku.config.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kasoku.common.http.ApiException;
import dev.kasoku.common.json.Timestamps;
import dev.kasoku.common.model.SiteVersion;
import dev.kasoku.common.net.OriginAddressPolicy;
import dev.kasoku.common.site.Hostnames;
import dev.kasoku.common.site.SiteConfig;
import dev.kasoku.common.tls.SecretSealer;
import dev.kasoku.common.tls.SiteCertificate;
import dev.kasoku.common.tls.SiteKeys;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a site document sent to the API into the document that is stored, and a stored document
 * into what the API shows.
 *
 * <p>Acceptance runs every check and reports every problem in one 400 (an editor fixes a document
 * in one round trip): unknown keys at any depth, the model's own rules ({@link
 * SiteConfig#validate()}: durations, regexes, URL schemes, duplicates...), origins on restricted
 * networks ({@link OriginAddressPolicy}) and the TLS material (parses, key matches certificate,
 * valid now, covers the hostnames). Hostnames are normalised first (case, trailing dot, IDN to
 * punycode), so "WWW.Example.com." and "www.example.com" are the same claim.
 *
 * <p>In the stored form the private key is sealed ({@link SiteKeys}); the API view replaces the
 * whole {@code tls} object by the certificate's summary, so no read path can return the key.
 */
public final class SiteDocuments {
  /** Same decoding rules as the model; unknown keys were already collected and removed. */
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Keys each object of the document may have, from the model's record components. */
  private static final Set<String> ROOT_KEYS = keys(SiteConfig.class);
  private static final Set<String> ORIGIN_KEYS = keys(SiteConfig.Origin.class);
  private static final Set<String> RULE_KEYS = keys(SiteConfig.Rule.class);
  private static final Set<String> MATCH_KEYS = keys(SiteConfig.Match.class);
  private static final Set<String> TLS_KEYS = keys(SiteConfig.Tls.class);

  /** A document that passed every check, in its stored form. */
  public record Accepted(SiteConfig config, List<String> hostnames, String storedJson) {}

  private final OriginAddressPolicy originPolicy;
  private final SecretSealer sealer;
  private final Clock clock;

  public SiteDocuments(OriginAddressPolicy originPolicy, SecretSealer sealer, Clock clock) {
    this.originPolicy = originPolicy;
    this.sealer = sealer;
    this.clock = clock;
  }

  /**
   * Checks a document from a PUT and seals its key.
   *
   * @throws ApiException validation (400) listing every problem
   */
  public Accepted accept(String tenant, String site, JsonNode body) {
    List<String> problems = new ArrayList<>();
    if (body == null || !body.isObject()) {
      throw ApiException.validation(List.of("the site config must be a JSON object"));
    }
    ObjectNode doc = ((ObjectNode) body).deepCopy();
    stripUnknown(doc, ROOT_KEYS, "$", problems);
    normaliseHostnames(doc);
    SiteConfig cfg = decode(doc, problems);
    if (cfg == null) {
      throw ApiException.validation(problems);
    }
    problems.addAll(cfg.validate());
    checkOrigins(cfg, problems);
    SiteConfig.Tls tls = cfg.tls();
    if (tls != null && notBlank(tls.certificatePem()) && notBlank(tls.privateKeyPem())) {
      SiteCertificate.parse(tls.certificatePem(), tls.privateKeyPem(), validHostnames(cfg), clock.instant(),
          "tls", problems);
    }
    if (!problems.isEmpty()) {
      throw ApiException.validation(problems);
    }
    if (tls != null) {
      ((ObjectNode) doc.get("tls")).put("privateKeyPem",
          sealer.seal(tls.privateKeyPem(), SiteKeys.context(tenant, site)));
    }
    SiteConfig stored = decode(doc, problems);
    return new Accepted(stored, stored.hostnames(), stored.toJson());
  }

  /**
   * Re-checks a stored document before it becomes current again (restore): the platform's origin
   * policy may have changed since, and a certificate may have expired.
   *
   * @throws ApiException validation (400) listing every problem
   */
  public Accepted recheck(String tenant, String site, SiteVersion version) {
    List<String> problems = new ArrayList<>();
    SiteConfig cfg;
    try {
      cfg = MAPPER.readValue(version.configJson(), SiteConfig.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored version " + version.version() + " of " + tenant + "/" + site
          + " does not decode", e);
    }
    problems.addAll(cfg.validate());
    checkOrigins(cfg, problems);
    SiteConfig.Tls tls = cfg.tls();
    if (tls != null) {
      String keyPem;
      try {
        keyPem = sealer.open(tls.privateKeyPem(), SiteKeys.context(tenant, site));
      } catch (IllegalArgumentException e) {
        keyPem = null;
        problems.add("tls.privateKeyPem: the stored key cannot be decrypted with the current KASOKU_SECRET_KEY");
      }
      if (keyPem != null) {
        SiteCertificate.parse(tls.certificatePem(), keyPem, validHostnames(cfg), clock.instant(), "tls", problems);
      }
    }
    if (!problems.isEmpty()) {
      throw ApiException.validation(problems.stream().map(p -> "version " + version.version() + ": " + p).toList());
    }
    return new Accepted(cfg, cfg.hostnames(), version.configJson());
  }

  /**
   * The API view of a stored document: the document with {@code tls} replaced by the certificate
   * summary (subject, issuer, names, validity, fingerprint). The key never leaves.
   */
  public ObjectNode view(SiteVersion version) {
    ObjectNode doc;
    try {
      doc = (ObjectNode) MAPPER.readTree(version.configJson());
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalStateException("stored version of " + version.tenant() + "/" + version.site()
          + " does not decode", e);
    }
    JsonNode tls = doc.remove("tls");
    if (tls != null && tls.hasNonNull("certificatePem")) {
      SiteCertificate.summarise(tls.get("certificatePem").asText()).ifPresent(s -> {
        ObjectNode t = doc.putObject("tls");
        t.put("subject", s.subject());
        t.put("issuer", s.issuer());
        ArrayNode sans = t.putArray("subjectAltNames");
        s.subjectAltNames().forEach(sans::add);
        t.put("notBefore", Timestamps.format(s.notBefore()));
        t.put("notAfter", Timestamps.format(s.notAfter()));
        t.put("sha256", s.sha256());
      });
    }
    return doc;
  }

  private SiteConfig decode(ObjectNode doc, List<String> problems) {
    try {
      return MAPPER.treeToValue(doc, SiteConfig.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String msg = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      problems.add("not a valid site config document: " + firstLine(msg));
      return null;
    }
  }

  private void checkOrigins(SiteConfig cfg, List<String> problems) {
    for (int i = 0; i < cfg.origins().size(); i++) {
      SiteConfig.Origin o = cfg.origins().get(i);
      if (o == null || o.url() == null) {
        continue;
      }
      try {
        URI u = new URI(o.url());
        if (u.getHost() != null) {
          int at = i;
          originPolicy.checkHost(u.getHost()).ifPresent(p -> problems.add("origins[" + at + "].url: " + p));
        }
      } catch (URISyntaxException e) {
        // reported by the model's own check
      }
    }
  }

  /** Normalised hostnames of the document, skipping the invalid ones (reported elsewhere). */
  private static List<String> validHostnames(SiteConfig cfg) {
    Set<String> out = new LinkedHashSet<>();
    for (String h : cfg.hostnames()) {
      Hostnames.normalise(h).ifPresent(out::add);
    }
    return List.copyOf(out);
  }

  /** Replaces every hostname that has a normal form by it; invalid ones stay for the model to report. */
  private static void normaliseHostnames(ObjectNode doc) {
    JsonNode hosts = doc.get("hostnames");
    if (hosts instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        JsonNode h = arr.get(i);
        if (h.isTextual()) {
          int at = i;
          Hostnames.normalise(h.asText()).ifPresent(n -> arr.set(at, TextNode.valueOf(n)));
        }
      }
    }
  }

  /** Collects every unknown key (at any depth) and removes it so the rest can still be checked. */
  private static void stripUnknown(ObjectNode node, Set<String> allowed, String path, List<String> problems) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!allowed.contains(e.getKey())) {
        problems.add("unknown key '" + e.getKey() + "' at " + path);
        it.remove();
      }
    }
    eachObject(node.get("origins"), path + ".origins", (o, p) -> stripUnknown(o, ORIGIN_KEYS, p, problems));
    eachObject(node.get("rules"), path + ".rules", (r, p) -> {
      stripUnknown(r, RULE_KEYS, p, problems);
      if (r.get("match") instanceof ObjectNode m) {
        stripUnknown(m, MATCH_KEYS, p + ".match", problems);
      }
    });
    if (node.get("tls") instanceof ObjectNode t && allowed == ROOT_KEYS) {
      stripUnknown(t, TLS_KEYS, path + ".tls", problems);
    }
  }

  private static void eachObject(JsonNode array, String path, java.util.function.BiConsumer<ObjectNode, String> f) {
    if (array instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) {
        if (arr.get(i) instanceof ObjectNode o) {
          f.accept(o, path + "[" + i + "]");
        }
      }
    }
  }

  private static Set<String> keys(Class<? extends Record> type) {
    Set<String> out = new LinkedHashSet<>();
    for (RecordComponent c : type.getRecordComponents()) {
      out.add(c.getName());
    }
    return Set.copyOf(out);
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "malformed";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
