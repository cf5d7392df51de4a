package dev.pontoon.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Context: what an attempt knows about itself")
class ContextTest {
  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static Context fromEnv(Map<String, String> env) {
    return Context.fromEnv(env, Logger.standard(), CLOCK);
  }

  @Test
  @DisplayName("reads ids, attempt, function, namespace, version and deadline from the environment")
  void readsEnvironment() {
    Context ctx = fromEnv(Map.of(
        Contract.EXECUTION_ID, "ex-1",
        Contract.ATTEMPT, "3",
        Contract.FUNCTION, "primes",
        Contract.NAMESPACE, "team-a",
        Contract.VERSION, "7",
        Contract.DEADLINE, "2030-01-01T12:00:30Z"));
    assertEquals("ex-1", ctx.executionId());
    assertEquals(3, ctx.attempt());
    assertEquals("primes", ctx.function());
    assertEquals("team-a", ctx.namespace());
    assertEquals("7", ctx.version());
    assertEquals(Optional.of(Instant.parse("2030-01-01T12:00:30Z")), ctx.deadline());
    assertEquals(Duration.ofSeconds(30), ctx.remaining());
  }

  @Test
  @DisplayName("accepts a deadline with a numeric offset")
  void offsetDeadline() {
    Context ctx = fromEnv(Map.of(Contract.DEADLINE, "2030-01-01T13:00:10.500+01:00"));
    assertEquals(Duration.ofMillis(10_500), ctx.remaining());
  }

  @Test
  @DisplayName("has no time left once the deadline is past")
  void pastDeadline() {
    assertEquals(Duration.ZERO, fromEnv(Map.of(Contract.DEADLINE, "2030-01-01T11:00:00Z")).remaining());
  }

  @Test
  @DisplayName("is unbounded and attempt 1 when run outside Pontoon")
  void outsidePontoon() {
    Context ctx = fromEnv(Map.of());
    assertEquals(Optional.empty(), ctx.deadline());
    assertEquals(Context.UNBOUNDED, ctx.remaining());
    assertEquals(1, ctx.attempt());
    assertEquals("", ctx.executionId());
  }

  @Test
  @DisplayName("rejects a deadline that is not ISO 8601 when it is read, naming the variable")
  void badDeadline() {
    Context ctx = fromEnv(Map.of(Contract.DEADLINE, "tomorrow"));
    assertEquals(1, ctx.attempt());
    PontoonException e = assertThrows(PontoonException.class, ctx::remaining);
    assertTrue(e.getMessage().contains(Contract.DEADLINE), e.getMessage());
    assertThrows(PontoonException.class, ctx::deadline);
  }

  @Test
  @DisplayName("logs plain lines with a level prefix: debug and info to stdout, warn and error to stderr")
  void logger() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Logger logger = new Logger(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    logger.info("found %d primes", 4);
    logger.debug("two\nlines");
    logger.warn("slow");
    logger.error("50% done");
    String nl = System.lineSeparator();
    assertEquals("[INFO] found 4 primes" + nl + "[DEBUG] two" + nl + "[DEBUG] lines" + nl, out.toString(StandardCharsets.UTF_8));
    assertEquals("[WARN] slow" + nl + "[ERROR] 50% done" + nl, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("reads TRACEPARENT and TRACESTATE with the trace id; none without, and a malformed one is ignored with its tracestate")
  void traceContext() {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Context ctx = fromEnv(Map.of(Contract.TRACEPARENT, traceparent, Contract.TRACESTATE, "vendor=abc"));
    assertEquals(Optional.of(traceparent), ctx.traceparent());
    assertEquals(Optional.of("vendor=abc"), ctx.tracestate());
    assertEquals(Optional.of("0af7651916cd43dd8448eb211c80319c"), ctx.traceId());
    for (Map<String, String> env : java.util.List.of(
        Map.<String, String>of(),
        Map.of(Contract.TRACEPARENT, "00-xyz-01", Contract.TRACESTATE, "a=1"),
        Map.of(Contract.TRACEPARENT, "00-00000000000000000000000000000000-b7ad6b7169203331-01"),
        Map.of(Contract.TRACEPARENT, "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))) {
      Context none = fromEnv(env);
      assertEquals(Optional.empty(), none.traceparent(), env.toString());
      assertEquals(Optional.empty(), none.tracestate(), env.toString());
      assertEquals(Optional.empty(), none.traceId(), env.toString());
    }
  }
}
