package dev.kasoku.common.store.impl;

import dev.kasoku.common.store.TokenBucket;
import java.time.Duration;

/**
 * The token-bucket step in Java, for stores that run it under their own single writer (the
 * embedded store). The Redis store runs the same step as a Lua script ({@code RedisAccess}); both
 * must stay in step, which the store contract suite checks.
 *
 * <p>State: {@code tokens} and {@code last}, the instant up to which refills are accounted. A
 * missing state is a full bucket. Refill adds {@code floor((now - last) / interval)} tokens and
 * advances {@code last} by that many intervals (so partial intervals are not lost), capped at the
 * capacity (then {@code last = now}). A clock that went backwards adds nothing.
 */
public final class TokenBuckets {
  private TokenBuckets() {}

  /** A bucket's stored state. */
  public record State(long tokens, long lastMillis) {
    /** {@code tokens:last}. */
    public String encode() {
      return tokens + ":" + lastMillis;
    }

    /** The state in {@link #encode} form, or null for null. */
    public static State decode(String s) {
      if (s == null) {
        return null;
      }
      String[] parts = s.split(":", 3);
      return new State(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }
  }

  /** The result of one step: the new state, the outcome, and when the bucket will be full again. */
  public record Step(State state, TokenBucket.Take take, long fullAtMillis) {}

  /** Takes one token if there is one. */
  public static Step take(State current, TokenBucket bucket, long now) {
    long capacity = bucket.capacity();
    long interval = bucket.intervalMillis();
    long tokens;
    long last;
    if (current == null) {
      tokens = capacity;
      last = now;
    } else {
      tokens = Math.min(current.tokens(), capacity);
      last = current.lastMillis();
      if (now > last) {
        long gained = (now - last) / interval;
        if (tokens + gained >= capacity) {
          tokens = capacity;
          last = now;
        } else {
          tokens += gained;
          last += gained * interval;
        }
      }
    }
    boolean granted = tokens >= 1;
    if (granted) {
      tokens--;
    }
    // tokens < capacity implies now - last < interval, so the next token comes at last + interval
    Duration wait = granted ? Duration.ZERO : Duration.ofMillis(Math.max(1, last + interval - now));
    long fullAt = last + (capacity - tokens) * interval;
    return new Step(new State(tokens, last), new TokenBucket.Take(granted, tokens, wait), fullAt);
  }
}
