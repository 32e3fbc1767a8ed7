package dev.kasoku.purge.impl;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /v1/tenants/{t}/purge/{id}} answers.
 *
 * @param status pending (acks outstanding, within the wait bound), done (every expected edge
 *     acked), partial (the wait bound passed with acks outstanding; they may still arrive)
 * @param nodes the edges that were live when the purge was accepted
 * @param acked edge to number of objects it purged, for every edge that acked
 * @param missing expected edges that have not acked
 * @param applied total objects purged over all acks
 * @param tookMs from acceptance to the last expected ack; null until done
 */
public record PurgeStatus(String id, String status, String scope, boolean soft, Instant acceptedAt,
                          List<String> nodes, Map<String, Long> acked, List<String> missing, long applied,
                          Long tookMs) {
  public static final String PENDING = "pending";
  public static final String DONE = "done";
  public static final String PARTIAL = "partial";

  public PurgeStatus {
    nodes = List.copyOf(nodes);
    acked = Map.copyOf(acked);
    missing = List.copyOf(missing);
  }
}
