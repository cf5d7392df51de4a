package dev.pontoon.sdk;

/** A tiny function program the exit tests run in a child JVM; the argument picks what it does. */
public final class Fixture {
  private Fixture() {}

  private static final java.util.concurrent.atomic.AtomicInteger RUNNING = new java.util.concurrent.atomic.AtomicInteger();

  /** A handler that logs through its context, takes a while and reports how many ran at once. */
  private static void serveBusy() {
    Pontoon.serve((input, ctx) -> {
      if (!(input instanceof java.util.List<?> bounds)) return new Object(); // not JSON-serializable
      int from = ((Number) bounds.get(0)).intValue();
      int to = ((Number) bounds.get(1)).intValue();
      if (from > to) throw new IllegalArgumentException("from > to");
      ctx.logger().info("primes between %d and %d, attempt %d of %s", from, to, ctx.attempt(), ctx.executionId());
      int peak = RUNNING.incrementAndGet();
      try {
        Thread.sleep(100);
      } finally {
        RUNNING.decrementAndGet();
      }
      return java.util.Map.of("primes", Primes.between(from, to), "peak", peak, "deadline", ctx.deadline().map(Object::toString).orElse("none"));
    });
  }

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
      case "serve-busy" -> serveBusy();
      // Returns at once: each results post's answer refills the slots it frees.
      case "serve-quick" -> Pontoon.serve((input, ctx) -> null);
      // What the context says of the trace: once per process (cold) or per invocation (warm).
      case "trace" -> Pontoon.serve((input, ctx) -> {
        java.util.Map<String, Object> seen = new java.util.HashMap<>();
        seen.put("traceparent", ctx.traceparent().orElse(null));
        seen.put("tracestate", ctx.tracestate().orElse(null));
        seen.put("traceId", ctx.traceId().orElse(null));
        return seen;
      });
      case "missing-handler" -> Pontoon.fail("handler dev.pontoon.Nothing: no such class");
      default -> throw new IllegalArgumentException(args[0]);
    }
  }
}
