package dev.kasoku.cacheedge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kasoku.cacheedge.testing.EdgeHarness;
import dev.kasoku.cacheedge.testing.TestOrigin;
import dev.kasoku.common.bus.Addresses;
import dev.kasoku.common.bus.Messages;
import dev.kasoku.common.testing.Await;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The routing table follows the store: bus notifications, and the change epoch when a message is lost. */
class SitesTest {
  private EdgeHarness h;

  @BeforeEach
  void setUp() {
    h = new EdgeHarness();
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private int statusWithin(String host, long ms) throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    int status;
    do {
      status = h.get(host, "/").status();
      if (status != 421) {
        return status;
      }
      Thread.sleep(50);
    } while (System.currentTimeMillis() < deadline);
    return status;
  }

  @Test
  void siteWrittenWithoutABusMessageIsPickedUpByTheEpochCheck() throws Exception {
    TestOrigin o = h.origin().respond(200, "late");
    String json = "{\"hostnames\":[\"late.example.com\"],\"origins\":[{\"url\":\"" + o.url() + "\"}]}";
    Await.result(h.store.sites().put("acme", "late", List.of("late.example.com"), json, "t", h.clock.instant()));

    assertThat(statusWithin("late.example.com", 5000)).isEqualTo(200);
  }

  @Test
  void configChangedMessageReloadsTheSite() throws Exception {
    TestOrigin first = h.origin().respond(200, "first");
    TestOrigin second = h.origin().respond(200, "second");
    h.site("cfg.example.com", first, null);
    String json = "{\"hostnames\":[\"cfg.example.com\"],\"origins\":[{\"url\":\"" + second.url() + "\"}]}";
    Await.result(h.store.sites().put("acme", "cfg-example-com", List.of("cfg.example.com"), json, "t", h.clock.instant()));
    Addresses.CONFIG_CHANGED.publish(h.vertx.eventBus(), new Messages.ConfigChanged("acme", "cfg-example-com", 2));

    long deadline = System.currentTimeMillis() + 5000;
    String body;
    do {
      body = h.get("cfg.example.com", "/x" + System.nanoTime()).text();
    } while (!body.equals("second") && System.currentTimeMillis() < deadline);
    assertThat(body).isEqualTo("second");
  }

  @Test
  void deletedSiteStopsBeingServed() throws Exception {
    TestOrigin o = h.origin().respond(200, "x");
    h.site("gone.example.com", o, null);
    assertThat(h.get("gone.example.com", "/").status()).isEqualTo(200);
    Await.result(h.store.sites().delete("acme", "gone-example-com"));
    Await.result(h.edge.runtime().sites().reload());
    assertThat(h.get("gone.example.com", "/").status()).isEqualTo(421);
  }
}
