package com.example;

import dev.pontoon.sdk.Context;
import dev.pontoon.sdk.Handler;
import java.util.ArrayList;
import java.util.List;

/**
 * The prime finder: input [from, to], result the primes in that range. A Handler rather than a
 * class with a main, so that it runs in warm replicas too (spec.warm): a program runs on demand
 * only, a JVM start per execution.
 */
public final class Primes implements Handler<Object, List<Integer>> {
  @Override
  public List<Integer> handle(Object input, Context ctx) {
    if (!(input instanceof List<?> bounds) || bounds.size() != 2
        || !(bounds.get(0) instanceof Integer from) || !(bounds.get(1) instanceof Integer to) || from > to) {
      // A thrown exception fails the attempt with its message (and, in a replica, only the attempt).
      throw new IllegalArgumentException("input must be [from, to] with integers from <= to");
    }
    ctx.logger().info("looking for primes between %d and %d", from, to);
    List<Integer> primes = new ArrayList<>();
    for (int n = Math.max(2, from); n <= to; n++) {
      boolean prime = true;
      for (int d = 2; (long) d * d <= n && prime; d++) prime = n % d != 0;
      if (prime) primes.add(n);
    }
    return primes;
  }
}
