package dev.pontoon.sdk;

/** A tiny function program the exit tests run in a child JVM; the argument picks what it does. */
public final class Fixture {
  private Fixture() {}

  /** Runs one scenario. */
  public static void main(String[] args) {
    switch (args[0]) {
      case "watcher-done" -> {
        int[] range = Pontoon.getInputAsJson(int[].class);
        Context ctx = Pontoon.context();
        ctx.logger().info("attempt %d of %s", ctx.attempt(), ctx.function());
        Pontoon.done(Primes.between(range[0], range[1]));
        throw new AssertionError("done() returned");
      }
      case "watcher-fail" -> {
        Pontoon.fail("no primes today");
        throw new AssertionError("fail() returned");
      }
      case "serve" -> Pontoon.serve(int[].class, (range, ctx) -> {
        if (range[0] > range[1]) throw new IllegalArgumentException("from > to");
        return Primes.between(range[0], range[1]);
      });
      default -> throw new IllegalArgumentException(args[0]);
    }
  }
}
