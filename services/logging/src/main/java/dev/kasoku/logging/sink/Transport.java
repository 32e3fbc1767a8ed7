package dev.kasoku.logging.sink;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.List;

/** How a batch reaches one sink's receiver. */
interface Transport {
  /**
   * The bytes of one batch of NDJSON lines (without line ends) on the wire. CPU work (compression,
   * framing): the shipper calls it on a worker, never on an event loop.
   */
  Buffer encode(List<String> lines);

  /**
   * Sends one encoded batch. Called from the shipper's context, one batch at a time.
   *
   * @return succeeds once the receiver accepted the batch; fails with a {@link SinkException}
   */
  Future<Void> send(Buffer batch);

  Future<Void> close();
}
