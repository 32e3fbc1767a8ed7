package dev.kasoku.cacheedge.cluster;

import java.util.List;
import java.util.TreeSet;

/**
 * The owner of a cache key among the cluster's live edges: rendezvous hashing (highest random
 * weight, Thaler and Ravishankar 1996). Each (key, node) pair gets a pseudo-random weight; the node
 * with the highest weight owns the key. Pure and immutable: every edge that holds the same member
 * list computes the same owner for every key, with no coordination and no shared state.
 *
 * <h2>Why rendezvous and not a consistent-hash ring</h2>
 * Both move about 1/N of the keys when a member joins or leaves. Rendezvous gets there exactly and
 * with nothing to tune: a leaving node's keys, and only those, move (each to its own second choice,
 * so they spread evenly over the survivors instead of all falling on the next node of a ring), and
 * a joining node takes exactly the keys for which it now has the highest weight. A ring needs
 * virtual nodes to be even (with one point per node the largest of 10 arcs is typically near three
 * times the mean; with V points per node the loads still spread by about 1/√V, 10 % at 100 points),
 * a sorted table rebuilt on every change, and a choice of V that trades evenness for memory. The
 * price of rendezvous is O(N) per lookup instead of O(log(N·V)): one 64-bit mix per member, a few
 * nanoseconds each, which for the tens of edges a cluster has is below the cost of building the
 * cache key itself. It also extends to weights (a bigger edge owning more) by the logarithmic
 * method without changing the data structure, should edges ever differ in budget.
 *
 * <h2>Hash</h2>
 * The key's 64-bit hash is FNV-1a over its UTF-16 code units (no encoding, no allocation) finished
 * with MurmurHash3's {@code fmix64}; each node's seed is the same hash of its id. The weight of
 * (key, node) is {@code fmix64(keyHash ^ seed)}: fmix64 is a bijection with full avalanche, so for
 * one key the nodes' weights behave as independent uniform draws, which is what makes both the
 * 1/N movement and the even spread hold (RendezvousTest measures both). Ties (one in 2^64) go to the
 * node that sorts first. The hash is fixed here, not {@code String.hashCode} nor a per-JVM seed:
 * two edges, of different builds even, must agree.
 */
public final class Rendezvous {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private final String[] nodes;
  private final long[] seeds;

  /** Over the given node ids (order and duplicates do not matter). */
  public Rendezvous(List<String> nodeIds) {
    TreeSet<String> sorted = new TreeSet<>(nodeIds);
    this.nodes = sorted.toArray(String[]::new);
    this.seeds = new long[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      seeds[i] = hash(nodes[i]);
    }
  }

  /** The node ids, sorted. */
  public List<String> nodes() {
    return List.of(nodes);
  }

  public boolean isEmpty() {
    return nodes.length == 0;
  }

  /** The owner of the key; null when there is no member. */
  public String owner(String key) {
    int i = ownerIndex(hash(key));
    return i < 0 ? null : nodes[i];
  }

  /** Index in {@link #nodes()} of the owner of a key with this {@link #hash}; -1 without members. */
  int ownerIndex(long keyHash) {
    int best = -1;
    long bestWeight = 0;
    for (int i = 0; i < seeds.length; i++) {
      long w = fmix64(keyHash ^ seeds[i]);
      if (best < 0 || Long.compareUnsigned(w, bestWeight) > 0) {
        best = i;
        bestWeight = w;
      }
    }
    return best;
  }

  /** The 64-bit hash of a key or node id (see the class comment). */
  static long hash(String s) {
    long h = FNV_OFFSET;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      h = (h ^ (c & 0xff)) * FNV_PRIME;
      h = (h ^ (c >>> 8)) * FNV_PRIME;
    }
    return fmix64(h);
  }

  /** MurmurHash3's 64-bit finaliser. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
