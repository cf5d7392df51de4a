package com.example;

import dev.pontoon.sdk.Pontoon;
import java.util.ArrayList;
import java.util.List;

/** The prime finder: input [from, to], result the primes in that range. */
public final class Primes {
  public static void main(String[] args) {
    Pontoon.serve(Object.class, (input, ctx) -> {
      if (!(input instanceof List<?> bounds) || bounds.size() != 2
          || !(bounds.get(0) instanceof Integer from) || !(bounds.get(1) instanceof Integer to) || from > to) {
        Pontoon.fail("input must be [from, to] with integers from <= to");
        return null;
      }
      ctx.logger().info("looking for primes between %d and %d", from, to);
      List<Integer> primes = new ArrayList<>();
      for (int n = Math.max(2, from); n <= to; n++) {
        boolean prime = true;
        for (int d = 2; (long) d * d <= n && prime; d++) prime = n % d != 0;
        if (prime) primes.add(n);
      }
      return primes;
    });
  }
}
