package dev.kasoku.cacheedge.cluster;

import dev.kasoku.cacheedge.storage.Storage;
import dev.kasoku.common.net.FreePorts;
import dev.kasoku.common.store.EdgeMemberStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.lang.System.Logger.Level;
import java.time.Clock;

/**
 * The cluster side of one edge process: its peer listener, its membership of the edge table, and
 * the client it asks owners with. Deployed by the edge's entry verticle, once per process, when the
 * process is clustered.
 *
 * <p>Start: derive the peer key (off the event loop), bind the peer listener on the cluster host
 * (never the public edge port), then record this edge in the table with the address actually bound,
 * so nobody is told of a listener that is not up yet. Stop, in the reverse order: leave the table
 * (and announce it) first, so the others stop asking, then close the listener.
 *
 * <p>The listener runs on one event loop: the {@link PeerFiller}'s (an edge server instance's, whose
 * origin connections its peer fills use), or this verticle's when peer fill is off.
 */
public final class EdgeCluster extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(EdgeCluster.class.getName());
  /** Seconds the peer listener keeps an idle connection open (requesters drop theirs sooner). */
  static final int PEER_IDLE_TIMEOUT_S = 60;

  private final PeerSettings settings;
  private final String node;
  private final Storage storage;
  private final EdgeMemberStore members;
  private final Clock clock;
  private final PeerFiller filler;
  private HttpServer server;
  private Membership membership;
  private HttpPeerClient client;
  private PeerAuth auth;

  public EdgeCluster(PeerSettings settings, String node, Storage storage, EdgeMemberStore members, Clock clock) {
    this(settings, node, storage, members, clock, null);
  }

  /** @param filler fills peers' GETs from the origin (peer fill on); null: the listener answers from storage only */
  public EdgeCluster(PeerSettings settings, String node, Storage storage, EdgeMemberStore members, Clock clock,
                     PeerFiller filler) {
    this.filler = filler;
    this.settings = settings;
    this.node = node;
    this.storage = storage;
    this.members = members;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(settings.masterSecret()::call)
        .compose(master -> {
          auth = new PeerAuth(master, clock, settings.maxSkew());
          client = new HttpPeerClient(vertx, auth, node, settings.connectTimeout(), settings.idleTimeout());
          return listen();
        })
        .compose(s -> {
          String address = (settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host()) + ":"
              + s.actualPort();
          membership = new Membership(vertx, members, clock, node, address, settings.heartbeat(), settings.lease());
          return membership.start().map(v -> address);
        })
        .onSuccess(address -> LOG.log(Level.INFO, "edge {0}: peer listener on {1}", node, address));
  }

  /**
   * Binds the peer listener: on the filler's context when there is one (its fills use that edge
   * instance's origin connections, on the same event loop), else on this verticle's.
   */
  private Future<HttpServer> listen() {
    io.vertx.core.Context on = filler == null ? context : filler.context();
    // Vert.x shares servers that listen on port 0 from one deployment: on the edge instance's context
    // the peer listener would share the public listener's port. A free port is chosen here instead.
    int port = settings.port() == 0 && filler != null ? FreePorts.probe(settings.host()) : settings.port();
    io.vertx.core.Promise<HttpServer> bound = io.vertx.core.Promise.promise();
    on.runOnContext(v -> {
      server = vertx.createHttpServer(new HttpServerOptions().setHost(settings.host()).setPort(port)
              .setTcpNoDelay(true).setIdleTimeout(PEER_IDLE_TIMEOUT_S))
          .requestHandler(new PeerServer(node, storage, auth, clock, filler));
      server.listen().recover(t -> Future.failedFuture(new IllegalStateException("cannot listen on "
              + settings.host() + ":" + settings.port() + " (KASOKU_PEER_PORT on KASOKU_CLUSTER_HOST): "
              + t.getMessage(), t))).onComplete(bound);
    });
    return bound.future();
  }

  @Override
  public Future<?> stop() {
    Future<Void> left = membership == null ? Future.succeededFuture() : membership.stop();
    return left.eventually(() -> client == null ? Future.succeededFuture() : client.close())
        .eventually(() -> server == null ? Future.succeededFuture() : server.close());
  }

  /** The edge's current view of the cluster (members, owners). */
  public ClusterView view() {
    return membership.view();
  }

  /** How this edge asks an owner. */
  public PeerClient client() {
    return client;
  }

  /** The port the peer listener bound. */
  public int port() {
    return server.actualPort();
  }

  /** The verifier (tests: its replay memory). */
  PeerAuth auth() {
    return auth;
  }
}
