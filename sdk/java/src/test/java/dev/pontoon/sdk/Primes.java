package dev.pontoon.sdk;

import java.util.ArrayList;
import java.util.List;

/** The prime finder the tests run, as in the README. */
final class Primes {
  private Primes() {}

  /** The primes in [from, to]. */
  static List<Integer> between(int from, int to) {
    List<Integer> primes = new ArrayList<>();
    for (int n = Math.max(2, from); n <= to; n++) {
      boolean prime = true;
      for (int d = 2; (long) d * d <= n && prime; d++) prime = n % d != 0;
      if (prime) primes.add(n);
    }
    return primes;
  }
}
