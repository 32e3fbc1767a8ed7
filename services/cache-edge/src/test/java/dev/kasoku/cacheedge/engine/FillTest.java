package dev.kasoku.cacheedge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.origin.OriginClients;
import dev.kasoku.cacheedge.origin.OriginException;
import dev.kasoku.cacheedge.policy.CacheControl;
import dev.kasoku.cacheedge.policy.CacheKey;
import dev.kasoku.cacheedge.policy.CanonicalRequest;
import dev.kasoku.cacheedge.policy.Headers;
import dev.kasoku.cacheedge.policy.KeyFormat;
import dev.kasoku.cacheedge.sites.EdgeSite;
import dev.kasoku.cacheedge.storage.StoredObject;
import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fill on its own, as a peer fill will use it: one upstream exchange whose head and body reach
 * several followers, each with its own back-pressure, stored or not as its sink says.
 */
class FillTest {
  private static final String HOST = "fill.example.com";
  private static final String BODY = "x".repeat(200_000);

  private EdgeHarness h;
  private EdgeServerVerticle edge;
  private TestOrigin origin;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
    origin = h.origin().respond(200, BODY, "Cache-Control", "max-age=60");
    h.site(HOST, origin, null);
    edge = new EdgeServerVerticle(h.edge.runtime().withPort(0));
    Await.result(h.vertx.deployVerticle(edge));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  /** Collects what it is handed; pauses the fill once, for a while, to test back-pressure. */
  private static final class Collector implements Fill.Follower {
    final Promise<String> done = Promise.promise();
    final Buffer got = Buffer.buffer();
    final boolean pauseOnce;
    Fill fill;
    int status;
    boolean paused;

    Collector(boolean pauseOnce) {
      this.pauseOnce = pauseOnce;
    }

    @Override
    public void head(Fill f) {
      fill = f;
      status = f.response().statusCode();
    }

    @Override
    public boolean data(Buffer data) {
      got.appendBuffer(data);
      if (pauseOnce && !paused) {
        paused = true;
        Vertx.currentContext().owner().setTimer(50, t -> fill.resume(this)); // paused until then
        return false;
      }
      return true;
    }

    @Override
    public void end(StoredObject copy) {
      done.complete(got.toString());
    }

    @Override
    public void failed(OriginException e) {
      done.fail(e);
    }
  }

  /** The site, once the edge routes it (a config-change reload may still be replacing the table). */
  private EdgeSite site() {
    long deadline = System.nanoTime() + 5_000_000_000L;
    EdgeSite site;
    while ((site = h.edge.runtime().sites().lookup(HOST)) == null) {
      assertThat(System.nanoTime()).as("the site is routed").isLessThan(deadline);
      Thread.onSpinWait();
    }
    return site;
  }

  private Fill fill(Fill.Sink sink, Collector... followers) {
    EdgeSite site = site();
    CanonicalRequest canon = CacheKey.canonicalize(site.compiled(), "GET", HOST, "/shared");
    MultiMap client = HttpHeaders.headers();
    Headers.Forwarding fwd = new Headers.Forwarding("127.0.0.1", false, false, HOST, "1.1", "test");
    MultiMap out = Fill.requestHeaders(client, fwd, OriginClients.newHeaders(false), null);
    Fill f = new Fill(edge, new Fill.Spec(site, canon, client, CacheControl.of(client), fwd, null, sink),
        new OriginUpstream(edge, site, HttpMethod.GET, canon.uri(), out, null, null), null);
    for (Collector c : followers) {
      f.follow(c);
    }
    edge.ctx().runOnContext(v -> f.start());
    return f;
  }

  @Test
  void everyFollowerGetsTheWholeBodyOfOneExchangeAndNothingIsStoredWithoutASink() {
    Collector a = new Collector(true);
    Collector b = new Collector(false);
    fill(Fill.Sink.NONE, a, b);

    assertThat(Await.result(Future.all(a.done.future(), b.done.future()))).isNotNull();
    assertThat(a.got.toString()).isEqualTo(BODY);
    assertThat(b.got.toString()).isEqualTo(BODY);
    assertThat(a.status).isEqualTo(200);
    assertThat(a.paused).as("one follower held the exchange back for a while").isTrue();
    assertThat(origin.count()).isEqualTo(1);
    assertThat(h.edge.runtime().storage().get(canonKey())).as("the sink stores nothing").isNull();
  }

  @Test
  void aStoringFillStoresWhatItsFollowersWereHanded() {
    Collector a = new Collector(false);
    fill(Fill.Sink.STORE, a);

    assertThat(Await.result(a.done.future())).isEqualTo(BODY);
    StoredObject stored = h.edge.runtime().storage().get(canonKey());
    assertThat(stored).isNotNull();
    assertThat(stored.body().length()).isEqualTo(BODY.length());
  }

  private String canonKey() {
    EdgeSite site = site();
    return KeyFormat.full(CacheKey.canonicalize(site.compiled(), "GET", HOST, "/shared").primaryKey(), "");
  }
}
