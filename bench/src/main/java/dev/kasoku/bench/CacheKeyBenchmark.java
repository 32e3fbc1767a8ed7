package dev.kasoku.bench;

import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.CompiledSite;
import dev.kasoku.common.site.SiteConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of turning a request into its cache key: Host normalisation plus {@link CacheKey#canonicalize}
 * (path normalisation, the site's first-matching rule, query canonicalisation, the primary key
 * string), per request on the edge's request path.
 *
 * <ul>
 *   <li>{@code plainPath}: {@code /k/1234}, the common static-file case (no rewriting needed);</li>
 *   <li>{@code sortedQuery}: four parameters out of order, one percent-encoded unreserved character
 *       (the query is split, normalised and sorted);</li>
 *   <li>{@code zipfMix}: a Zipf(0.99)-drawn stream over 10,000 distinct targets of mixed shapes (static
 *       assets hitting a prefix rule with {@code query: ignore}, versioned js/css hitting a regex rule
 *       with {@code query: {only: [v]}}, pages with tracking parameters, dot-segments and
 *       percent-encodings), on a site with the rules of the API documentation's example.</li>
 * </ul>
 *
 * <p>Run (from the repository root; nothing runs in the normal build):
 * <pre>
 *   mvn -B -q -o -pl bench -am package -DskipTests
 *   java -jar bench/target/kasoku-bench.jar CacheKeyBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CacheKeyBenchmark {
  private static final int SAMPLES = 1 << 16;
  private static final int MASK = SAMPLES - 1;
  private static final int TARGETS = 10_000;

  CompiledSite site;
  String[] stream;
  int i;

  @Setup
  public void setup() {
    site = CompiledSite.compile("t-bench", "s-bench", SiteConfig.parse("""
        {"hostnames": ["www.example.com", "static.example.com"],
         "origins": [{"url": "https://origin.example.com:443"}],
         "defaultTtl": "0s",
         "rules": [
           {"match": {"pathPrefix": "/static/"}, "ttl": "7d", "query": "ignore"},
           {"match": {"pathRegex": "\\\\.(css|js)$"}, "ttl": "1d", "query": {"only": ["v"]}},
           {"match": {"pathPrefix": "/api/"}, "cache": false}
         ]}"""));
    String[] targets = new String[TARGETS];
    for (int t = 0; t < TARGETS; t++) {
      targets[t] = switch (t % 5) {
        case 0 -> "/static/img/photo-" + t + ".jpg";
        case 1 -> "/assets/app-" + (t % 97) + ".js?v=" + t + "&cb=" + (t * 31);
        case 2 -> "/products/item-" + t + "?utm_source=news&page=2&sort=price&id=" + t;
        case 3 -> "/blog/2026/%7Euser/../post-" + t + "/";
        default -> "/k/" + t;
      };
    }
    stream = new String[SAMPLES];
    int[] idx = new Zipf(TARGETS, Zipf.DEFAULT_EXPONENT).sample(SAMPLES, 7);
    for (int s = 0; s < SAMPLES; s++) {
      // a fresh string per request, as the HTTP decoder produces
      stream[s] = new String(targets[idx[s]].toCharArray());
    }
  }

  @Benchmark
  public CanonicalRequest plainPath() {
    return CacheKey.canonicalize(site, "GET", CacheKey.normalizeHost("www.example.com", false), "/k/1234");
  }

  @Benchmark
  public CanonicalRequest sortedQuery() {
    return CacheKey.canonicalize(site, "GET", CacheKey.normalizeHost("www.example.com", false),
        "/search?q=shoes&page=2&%61ff=9&color=red");
  }

  @Benchmark
  public CanonicalRequest zipfMix() {
    return CacheKey.canonicalize(site, "GET", CacheKey.normalizeHost("www.example.com", false),
        stream[i++ & MASK]);
  }
}
